"""The day simulation (bench/daysim): a short scenario end to end, and the queue's effect on the phones."""

from datetime import datetime, time

from bench.daysim import __main__ as daysim_main
from bench.daysim import dispatching, figures, phones
from bench.daysim.scenario import SCENARIOS, load
from bench.matching import TODAY
from core.clock import BERLIN


def _day_start(scenario):
    return datetime.combine(TODAY, time(scenario.start_hour % 24), tzinfo=BERLIN)


def test_every_shipped_scenario_loads_and_marks_its_assumptions():
    names = sorted(p.stem for p in SCENARIOS.glob("*.toml"))
    assert {"strike", "weekday", "night", "smoke"} <= set(names)
    for name in names:
        scenario = load(name)
        assert scenario.per_hour and scenario.replies and scenario.on_duty
        assert "[guess]" in (SCENARIOS / f"{name}.toml").read_text(encoding="utf-8")
    strike = load("strike")
    assert strike.per_hour[7] + strike.per_hour[8] == 40 and strike.coordinators_at(8) == 2


def test_the_queue_takes_callers_that_today_end_in_voicemail():
    scenario = load("strike")
    start = _day_start(scenario)
    today = figures.phone_figures(phones.simulate_phones(scenario, day_start=start, queue_on=False))
    queued = figures.phone_figures(phones.simulate_phones(scenario, day_start=start, queue_on=True))
    assert today.calls == queued.calls > 40
    assert today.max_queue == 0 and today.callbacks == 0
    assert queued.max_queue > 0
    assert queued.voicemail_unchosen < today.voicemail_unchosen
    assert len(queued.to_person_minutes) + len(queued.callback_minutes) > len(today.to_person_minutes)


def test_every_call_ends_once_and_nobody_is_bridged_before_the_menu_ends():
    scenario = load("strike")
    day = phones.simulate_phones(scenario, day_start=_day_start(scenario), queue_on=True)
    for call in day.calls:
        assert call.outcome in {"direct", "queue", "callback", "voicemail", "voicemail_chosen",
                                "callback_failed", "open"}
        if call.connected_at is not None:
            assert call.outcome in {"direct", "queue", "callback"}
            assert call.connected_at >= call.ready_at + scenario.ring_seconds - 1e-9
        if call.outcome == "callback":
            assert call.callback_chosen_at is not None and call.connected_at > call.callback_chosen_at
    assert all(n >= 0 for _, n in day.queue_length)


def test_smoke_day_dispatches_through_the_real_code():
    scenario = load("smoke")
    start = _day_start(scenario)
    day = phones.simulate_phones(scenario, day_start=start, queue_on=True)
    with dispatching.region_database(scenario.pool) as database:
        results = dispatching.simulate_dispatch(database, scenario, day.calls, day_start=start,
                                                policy=dispatching.POLICIES["waves"], seed=scenario.seed)
    needing = [c for c in day.calls if c.needs_care]
    assert len(results) == len(needing) > 0
    summary = figures.case_figures(results)
    assert summary.unfilled < len(results)  # offers went out and caregivers said yes
    for result in results:
        assert result.offers >= 1
        if result.filled_at is not None:
            assert result.filled_at >= result.started >= result.arrival


def test_main_prints_figures_and_writes_an_svg(tmp_path, capsys):
    target = tmp_path / "day.svg"
    daysim_main.main(["smoke", "--svg", str(target), "--policies", "waves", "--sweep", "2"])
    out = capsys.readouterr().out
    assert "time to a person" in out and "Dispatch policy 'waves'" in out and "filled within 90 min" in out
    assert "strike-morning goals" in out and "no caller in voicemail without choosing it" in out
    assert target.read_text(encoding="utf-8").startswith("<svg") and "polyline" in target.read_text()


def test_smoke_day_through_the_real_webhooks_database_and_worker(monkeypatch):
    from sqlalchemy import select

    from bench.daysim import webhook_phones
    from models import QueueEntry

    scenario = load("smoke")
    start = _day_start(scenario)
    entries: list[list[QueueEntry]] = []
    real_run = webhook_phones._WebSim.run

    def run_and_keep_the_queue(self, calls):
        day = real_run(self, calls)
        with self.database.unit_of_work() as session:
            entries.append(list(session.scalars(select(QueueEntry))))
            session.expunge_all()
        return day

    monkeypatch.setattr(webhook_phones._WebSim, "run", run_and_keep_the_queue)
    day = webhook_phones.simulate_phones_via_webhooks(scenario, day_start=start)
    pure = phones.simulate_phones(scenario, day_start=start, queue_on=True)
    assert [c.arrival for c in day.calls] == [c.arrival for c in pure.calls]  # the same callers
    summary = figures.phone_figures(day)
    assert summary.max_queue > 0 and summary.voicemail_unchosen == 0
    assert {c.outcome for c in day.calls} >= {"direct", "queue", "callback"}
    assert all(c.outcome != "open" for c in day.calls)
    (rows,) = entries  # the product's own queue table holds who waited and how each ended
    assert {r.state.value for r in rows} <= {"connected", "voicemail", "called_back", "left", "failed"}
    assert len(rows) == sum(c.queued_at is not None for c in day.calls)
    for call in day.calls:
        if call.connected_at is not None:
            assert call.connected_at >= call.ready_at + scenario.ring_seconds - 1e-9


def test_the_webhook_day_plays_the_menu_the_product_asks_surge_modes_short_one_too():
    """Surge mode switched on by the scenario: the product asks the short menu, the caller is through it sooner."""
    from dataclasses import replace

    from bench.daysim import webhook_phones

    scenario = replace(load("smoke"), surge_on_hour=7, surge_menu_seconds=35.0)
    day = webhook_phones.simulate_phones_via_webhooks(scenario, day_start=_day_start(scenario), coordinators=2)
    menu_callers = [c for c in day.calls if not c.pressed_0]
    assert menu_callers and all(c.ready_at == c.arrival + 35.0 for c in menu_callers)
    assert all(c.outcome != "open" for c in day.calls)
    full = webhook_phones.simulate_phones_via_webhooks(load("smoke"), day_start=_day_start(scenario), queue_on=False)
    assert all(c.ready_at == c.arrival + 70.0 for c in full.calls if not c.pressed_0)
    assert figures.phone_figures(full).max_queue == 0  # QUEUE_MAX_LENGTH=0: today's product without the queue
