"""The live board shows the queue: who waits, since when, her place, urgency, call-back or on the line."""

from __future__ import annotations

import re
from typing import Any

from tests.functional.test_board import coordinator, signed_in  # noqa: F401  (fixtures)
from tests.functional.test_queue_webhooks import NOW_KEYS, all_talking, case_of, post, start  # noqa: F401


def queue_section(html: str) -> str:
    match = re.search(r'<section class="board-queue".*?</section>', html, re.S)
    assert match, "the board shows the queue"
    return match.group(0)


def test_the_board_shows_the_queue_live(signed_in: Any, client: Any, session: Any, clock: Any,  # noqa: F811
                                        all_talking: None) -> None:  # noqa: F811
    assert 'class="board-queue"' not in signed_in.get("/board/rows").get_data(as_text=True)
    start(client, 3)
    clock.advance(minutes=2)
    start(client, 4, NOW_KEYS)
    post(client, f"/voice/queue/{case_of(session, 3).id}/key", 3, Digits="1")  # a call-back, keeping her place
    clock.advance(minutes=1)

    section = queue_section(signed_in.get("/board/rows").get_data(as_text=True))
    rows = re.findall(r'<tr class="[^"]*" data-queue-case="(\d+)">(.*?)</tr>', section, re.S)
    assert [int(case_id) for case_id, _ in rows] == [case_of(session, 4).id, case_of(session, 3).id]
    first, second = (body for _, body in rows)
    assert re.search(r'q-position[^>]*>1<', first) and "sofort" in first and "am Telefon" in first
    assert re.search(r'q-position[^>]*>2<', second) and "Rückruf (Platz behalten)" in second
    assert "seit 10:01 Uhr (3 Min.)" in second  # since when, and how long
    assert case_of(session, 3).reference in second
    assert "Warteschlange: 2 Anrufende" in section
    assert "+49" not in section  # no phone numbers on the board
    assert "lang-badge" not in section  # both called in German


def test_the_queue_shows_a_caller_s_language_when_it_is_not_german(
        signed_in: Any, client: Any, session: Any, clock: Any, all_talking: None) -> None:  # noqa: F811
    start(client, 3, [("caller_type", "6"), *NOW_KEYS])  # 6: Russian
    section = queue_section(signed_in.get("/board/rows").get_data(as_text=True))
    assert re.search(r'class="badge lang-badge"><span class="sr-only">Sprache: </span>Russisch <bdi[^>]* lang="ru"',
                     section)
