"""The English catalogue is complete: every German string in the code and templates has an English msgstr.

The dashboard is written with German msgids (`_("Abmelden")`, `{{ _("Abmelden") }}`); English lives in
dashboard/translations/en/LC_MESSAGES/messages.po. A string added without a translation fails here with a
list of what is missing; `make translations-update` adds it to the .po, then fill in the English.
"""

from __future__ import annotations

import os
import re
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from babel.messages.catalog import Catalog, Message
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
TRANSLATIONS = ROOT / "dashboard" / "translations"
PO = TRANSLATIONS / "en" / "LC_MESSAGES" / "messages.po"
MO = PO.with_suffix(".mo")
# The same keywords and skipped folders as `make translations-update` (Makefile: BABEL_KEYWORDS, BABEL_IGNORE).
KEYWORDS = {**DEFAULT_KEYWORDS, "lazy_gettext": None, "lazy_ngettext": (1, 2)}
IGNORED_DIRS = {"tests", "bench", "migrations", "node_modules", "instance"}
# %(name)s, %(m)02d, %s, %% and {name}, {0}: what Python's % and str.format (and the simulator's JS) fill in.
PLACEHOLDER = re.compile(r"%(?:\(\w+\))?[-#0 +]*\d*(?:\.\d+)?[diouxXeEfFgGcrsa%]|\{\w*\}")


def _source_messages() -> dict[str, tuple[str | None, list[str]]]:
    """Extract the translatable strings as `make translations-update` does: msgid -> (plural, places)."""
    with open(ROOT / "babel.cfg", encoding="utf-8") as fh:
        method_map, options_map = parse_mapping_cfg(fh)

    def wanted(dirname: str) -> bool:
        name = os.path.basename(dirname)
        return not name.startswith(".") and name not in IGNORED_DIRS

    found: dict[str, tuple[str | None, list[str]]] = {}
    for filename, lineno, message, _comments, _context in extract_from_dir(
        str(ROOT), method_map, options_map, keywords=KEYWORDS, directory_filter=wanted,
    ):
        singular, plural = (message[0], message[1]) if isinstance(message, tuple) else (message, None)
        if not singular:
            continue
        known_plural, places = found.setdefault(singular, (plural, []))
        if plural and not known_plural:
            found[singular] = (plural, places)
        places.append(f"{filename}:{lineno}")
    return found


@pytest.fixture(scope="module")
def catalogue() -> Catalog:
    with open(PO, "rb") as fh:
        return read_po(fh, locale="en")


@pytest.fixture(scope="module")
def source() -> dict[str, tuple[str | None, list[str]]]:
    return _source_messages()


def _translated(message: Message) -> bool:
    strings = message.string if isinstance(message.string, (list, tuple)) else [message.string]
    return bool(strings) and all(s and s.strip() for s in strings) and not message.fuzzy


def test_extraction_finds_the_dashboard(source: dict[str, tuple[str | None, list[str]]]) -> None:
    places = {place.rsplit(":", 1)[0] for _plural, where in source.values() for place in where}
    assert any(p.startswith("dashboard/templates/") and p.endswith(".html") for p in places), "templates missing"
    assert "dashboard/cases.py" in places, "Python views missing"
    assert "Abmelden" in source and "Live-Übersicht" in source


def test_every_string_in_the_code_has_an_english_translation(
    catalogue: Catalog, source: dict[str, tuple[str | None, list[str]]],
) -> None:
    missing = []
    for msgid, (plural, places) in sorted(source.items()):
        message = catalogue.get(msgid)
        if message is None or not _translated(message):
            missing.append(f"  {msgid!r}  ({', '.join(places[:3])})")
        elif plural and not message.pluralizable:
            missing.append(f"  {msgid!r}  (ngettext in the code, but no plural forms in the .po)")
    assert not missing, (
        f"{len(missing)} string(s) without an English translation in {PO.relative_to(ROOT)} — run "
        "`make translations-update` and fill in the msgstr:\n" + "\n".join(missing)
    )


def test_no_fuzzy_entries_are_left(catalogue: Catalog) -> None:
    fuzzy = [m.id for m in catalogue if m.id and m.fuzzy]
    assert not catalogue.fuzzy, "the catalogue's header is marked fuzzy"
    assert not fuzzy, "fuzzy entries (check the English, then remove `#, fuzzy`):\n" + "\n".join(map(repr, fuzzy))


def test_placeholders_match(catalogue: Catalog) -> None:
    wrong = []
    for message in catalogue:
        if not message.id or not _translated(message):
            continue
        if message.pluralizable:
            assert isinstance(message.id, tuple | list) and isinstance(message.string, tuple | list)
            singular, plural = message.id
            pairs = [(singular, message.string[0])] + [(plural, s) for s in message.string[1:]]
        else:
            assert isinstance(message.id, str) and isinstance(message.string, str)
            pairs = [(message.id, message.string)]
        for german, english in pairs:
            if Counter(PLACEHOLDER.findall(german)) != Counter(PLACEHOLDER.findall(english)):
                wrong.append(f"  {german!r} -> {english!r}")
    assert not wrong, "placeholders differ between msgid and msgstr:\n" + "\n".join(wrong)


def test_the_catalogue_compiles(catalogue: Catalog, tmp_path: Path) -> None:
    with open(tmp_path / "messages.mo", "wb") as fh:
        write_mo(fh, catalogue, use_fuzzy=True)
    assert (tmp_path / "messages.mo").stat().st_size > 1000


# --- a page in English ----------------------------------------------------------------------------------

GERMAN_SAMPLE = ("Abmelden", "Live-Übersicht", "Dienstplan", "Betreuungskräfte", "Dringlichkeit", "Vermittlung",
                 "Rückruf nötig", "Offene Fälle")
ENGLISH_SAMPLE = ("Sign out", "Live board", "Roster", "Caregivers", "Urgency", "Dispatch", "Call back needed")


@pytest.fixture
def compiled() -> None:
    """Make sure the .mo the app loads is current (`make translations` does this before `make test`)."""
    if not MO.exists() or MO.stat().st_mtime < PO.stat().st_mtime:
        with open(PO, "rb") as fh:
            catalogue = read_po(fh, locale="en")
        with open(MO, "wb") as fh:
            write_mo(fh, catalogue, use_fuzzy=True)


def _signed_in(client: Any, session: Any, clock: Any) -> Any:
    from accounts import create_user

    create_user(session, username="lea", name="Lea Lead", role="lead", password="richtig-lang-genug",
                now=clock.now(), phone="0151 99887766")
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").get_data(as_text=True))
    assert token
    response = client.post("/login", data={"username": "lea", "password": "richtig-lang-genug",
                                           "csrf_token": token.group(1)})
    assert response.status_code == 302
    return client


def _visible_text(html: str) -> str:
    html = re.sub(r"<script.*?</script>", " ", html, flags=re.S)
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def test_the_board_in_english_has_no_german_words(compiled: None, client: Any, session: Any, clock: Any) -> None:
    from datetime import timedelta

    from tests.factories import make_case

    make_case(session, now=clock.now() - timedelta(minutes=12), call_sid="CA-lang", urgency="now",
              needs_callback=True)
    signed_in = _signed_in(client, session, clock)
    german = _visible_text(signed_in.get("/board").get_data(as_text=True))
    assert "Abmelden" in german and "Sign out" not in german  # German is the default

    assert signed_in.get("/lang/en").status_code == 302
    html = signed_in.get("/board").get_data(as_text=True)
    assert '<html lang="en">' in html
    text = _visible_text(html + signed_in.get("/board/rows").get_data(as_text=True))
    assert [w for w in GERMAN_SAMPLE if w in text] == [], text
    assert [w for w in ENGLISH_SAMPLE if w not in text] == [], text


def test_the_case_page_in_english(compiled: None, client: Any, session: Any, clock: Any) -> None:
    from datetime import timedelta

    from tests.factories import make_case

    case = make_case(session, now=clock.now() - timedelta(minutes=5), call_sid="CA-lang-2", urgency="today")
    signed_in = _signed_in(client, session, clock)
    signed_in.get("/lang/en")
    text = _visible_text(signed_in.get(f"/cases/{case.id}").get_data(as_text=True))
    for german in ("Vermitteln", "Angaben aus dem Anruf", "Abschließen", "Speichern", "Verlauf"):
        assert german not in text
    for english in ("Dispatch", "From the call", "Close", "Save", "History"):
        assert english in text
