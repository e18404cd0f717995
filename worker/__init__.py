"""The worker process: runs the tick jobs (outbox, timers) on an interval."""

from worker.jobs import TICK_JOBS, TickReport, deliver_outbox_job, tick_job, worker_name, write_heartbeat
from worker.runner import run_worker

__all__ = [
    "TICK_JOBS",
    "TickReport",
    "deliver_outbox_job",
    "run_worker",
    "tick_job",
    "worker_name",
    "write_heartbeat",
]
