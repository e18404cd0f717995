"""/healthz tells the load balancer whether the database answers and the worker ticks."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from models import WorkerHeartbeat


def test_healthy_with_a_recent_worker_tick(client: Any, session: Any, clock: Any) -> None:
    session.add(WorkerHeartbeat(name="host:1", last_tick_at=clock.now() - timedelta(seconds=3)))
    session.flush()
    body = client.get("/healthz").get_json()
    assert body["database"] == "ok" and body["worker"] == "ok"


def test_a_worker_that_stopped_ticking_is_stale(client: Any, session: Any, clock: Any) -> None:
    session.add(WorkerHeartbeat(name="host:1", last_tick_at=clock.now() - timedelta(minutes=5)))
    session.flush()
    assert client.get("/healthz").get_json()["worker"] == "stale"


def test_unreachable_database_answers_503(app: Any) -> None:
    from sqlalchemy.exc import OperationalError

    class Down:
        def unit_of_work(self) -> Any:
            raise OperationalError("connect", {}, Exception("refused"))

    app.extensions["fluxx"].database = Down()
    response = app.test_client().get("/healthz")
    assert response.status_code == 503 and response.get_json()["database"] == "unreachable"


def test_front_page_leads_to_the_sign_in(client: Any) -> None:
    assert client.get("/").headers["Location"].endswith("/login")
