"""SIGTERM while the worker's scheduler is between looking its job up and updating it: the worker still stops cleanly."""

from __future__ import annotations

import os
import signal
from typing import Any

import pytest
from apscheduler.jobstores.memory import MemoryJobStore

from worker.runner import run_worker


def test_sigterm_inside_the_scheduler_loop_stops_the_worker(app: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    update_job = MemoryJobStore.update_job
    sent: list[bool] = []

    def update_after_sigterm(self: MemoryJobStore, job: Any) -> None:
        # The signal's handler runs in the main thread right here, while the scheduler's loop holds its locks
        # and is about to store the job's next run time.
        if not sent:
            sent.append(True)
            os.kill(os.getpid(), signal.SIGTERM)
        update_job(self, job)

    monkeypatch.setattr(MemoryJobStore, "update_job", update_after_sigterm)
    previous = signal.getsignal(signal.SIGTERM)
    assert run_worker(app, interval_seconds=0.2) is None  # returned: no JobLookupError from the loop
    assert sent and signal.getsignal(signal.SIGTERM) is previous
