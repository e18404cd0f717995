"""`flask --app app simulate call`: a newcomer walks the menu in the terminal, through the real webhooks."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from models import Case
from tests.factories import ANNA, make_roster


def test_happy_path_in_the_terminal_reaches_the_primary(runner: Any, session: Any, clock: Any) -> None:
    make_roster(session, now=clock.now())
    keys = ["1", "1", "1", "3", "30159", "1", "1",  # the menu
            "1",  # Anna's phone answers
            "1",  # she presses 1 after the screening
            ""]   # the conversation ends
    result = runner.invoke(args=["simulate", "call", "--from", "0151 12345678"], input="\n".join(keys) + "\n")
    assert result.exit_code == 0, result.output
    assert ANNA in result.output
    assert "3 0 1 5 9" in result.output  # read back, and in the screening
    assert "Verbunden" in result.output
    case = session.scalars(select(Case)).one()
    assert (case.postcode, case.municipality, case.coordinator) == ("30159", "Hannover", ANNA)


def test_nobody_answers_ends_in_the_voicemail(runner: Any, session: Any, clock: Any) -> None:
    make_roster(session, now=clock.now())
    keys = ["0", "", "", "", "Bitte um Rückruf, Maria"]  # 0; primary, backup, office do not answer; message
    result = runner.invoke(args=["simulate", "call"], input="\n".join(keys) + "\n")
    assert result.exit_code == 0, result.output
    assert "Signalton" in result.output
    case = session.scalars(select(Case)).one()
    assert case.needs_callback and case.voicemail_sid
