"""The caller's language on the board and the case page: named in the dashboard's language and in itself."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest

from accounts import create_user
from tests.factories import make_case
from tests.functional.test_board import PASSWORD, sign_in


@pytest.fixture
def signed_in(client: Any, session: Any, clock: Any) -> Any:
    create_user(session, username="clara", name="Clara", role="coordinator", password=PASSWORD, now=clock.now())
    sign_in(client, "clara")
    return client


def _row(page: str, case_id: int) -> str:
    match = re.search(rf'<tr[^>]*data-case="{case_id}".*?</tr>', page, flags=re.S)
    assert match, f"case {case_id} is on the board"
    return match.group(0)


def test_the_board_shows_a_caller_language_other_than_german(signed_in: Any, session: Any, clock: Any) -> None:
    now = clock.now()
    german = make_case(session, now=now - timedelta(minutes=3), call_sid="CA-de")
    turkish = make_case(session, now=now - timedelta(minutes=2), call_sid="CA-tr", language="tr")
    arabic = make_case(session, now=now - timedelta(minutes=1), call_sid="CA-ar", language="ar")
    page = signed_in.get("/board/rows").get_data(as_text=True)
    assert "Türkisch" in _row(page, turkish.id)
    assert '<bdi class="native-name" lang="tr" dir="ltr">Türkçe</bdi>' in _row(page, turkish.id)
    assert '<bdi class="native-name" lang="ar" dir="rtl">العربية</bdi>' in _row(page, arabic.id)
    assert "Arabisch" in _row(page, arabic.id)
    assert "lang-badge" not in _row(page, german.id)  # German is the rule; only another language stands out


def test_the_case_page_names_the_language_in_german_and_in_itself(signed_in: Any, session: Any, clock: Any) -> None:
    case = make_case(session, now=clock.now(), call_sid="CA-uk", language="uk")
    page = signed_in.get(f"/cases/{case.id}").get_data(as_text=True)
    assert re.search(r"<dt>Sprache</dt><dd>Ukrainisch <bdi[^>]*lang=\"uk\"[^>]*>Українська</bdi></dd>", page)


def test_in_english_the_language_is_named_in_english(signed_in: Any, session: Any, clock: Any) -> None:
    case = make_case(session, now=clock.now(), call_sid="CA-pl", language="pl")
    signed_in.get("/lang/en")
    page = signed_in.get(f"/cases/{case.id}").get_data(as_text=True)
    assert "<dd>Polish <bdi" in page and "Polski</bdi>" in page
    german = make_case(session, now=clock.now(), call_sid="CA-de2")
    assert "<dd>German</dd>" in signed_in.get(f"/cases/{german.id}").get_data(as_text=True)


def test_the_timeline_names_the_language_she_chose_by_key(signed_in: Any, session: Any, clock: Any) -> None:
    from models import Case
    from tests.functional.test_voice_webhooks import call, press

    call(signed_in, "/voice/incoming")
    press(signed_in, "caller_type", "9")
    press(signed_in, "caller_type", "1")
    case = session.query(Case).one()
    page = signed_in.get(f"/cases/{case.id}").get_data(as_text=True)
    assert "Menü: Sprache gewählt: Englisch" in page
    assert "keine gültige Eingabe" not in page  # choosing a language is no wrong key
