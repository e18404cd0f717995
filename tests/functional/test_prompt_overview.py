"""The prompt overview ("Ansagen"): each caller language's key, offer, review mark, voice, and its prompts beside German."""

from __future__ import annotations

import html
import json
import re
import shutil
from pathlib import Path
from typing import Any

import pytest

from accounts import create_user
from core.settings import Settings
from ivr.prompts import DEFAULT_DIRECTORY
from tests.functional.test_board import PASSWORD, sign_in

TURKISH = '''reviewed = false

[welcome]
text = "Fluxx acil bakım hattına hoş geldiniz."

[language_choice]
text = "Türkçe için 4'e basın."

[only_here]
text = "Nur in der türkischen Datei."
'''
ARABIC = '''reviewed = true

[welcome]
text = "مرحبا بكم في فلوكس."
'''


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.with_overrides(languages=("de", "en", "tr"))


@pytest.fixture
def prompt_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """German and English as shipped; Turkish not yet reviewed, Arabic reviewed, Russian broken, the rest missing."""
    for name in ("de.toml", "en.toml"):
        shutil.copy(DEFAULT_DIRECTORY / name, tmp_path / name)
    (tmp_path / "tr.toml").write_text(TURKISH, encoding="utf-8")
    (tmp_path / "ar.toml").write_text(ARABIC, encoding="utf-8")
    (tmp_path / "ru.toml").write_text("reviewed = 'ja'\n", encoding="utf-8")
    monkeypatch.setenv("PROMPTS_DIR", str(tmp_path))
    return tmp_path


@pytest.fixture
def signed_in(client: Any, session: Any, clock: Any) -> Any:
    create_user(session, username="clara", name="Clara", role="coordinator", password=PASSWORD, now=clock.now())
    sign_in(client, "clara")
    return client


def _language_row(page: str, code: str) -> str:
    match = re.search(rf'<tr data-language="{code}">.*?</tr>', page, flags=re.S)
    assert match, code
    return match.group(0)


def test_the_overview_needs_a_sign_in(client: Any) -> None:
    response = client.get("/prompts")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_every_language_with_its_key_offer_review_mark_voice_and_tag(signed_in: Any, prompt_files: Path) -> None:
    response = signed_in.get("/prompts")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert 'href="/prompts"' in page  # the navigation's entry
    rows = {code: _language_row(page, code) for code in ("de", "en", "tr", "ar", "ru", "uk", "pl")}
    assert "keine (Standard)" in rows["de"] and "geprüft" in rows["de"]
    assert ">9<" in rows["en"] and "angeboten" in rows["en"] and "Polly.Amy" in rows["en"] and "en-GB" in rows["en"]
    assert ">4<" in rows["tr"] and "angeboten" in rows["tr"]
    assert "noch nicht von einer Muttersprachlerin geprüft" in rows["tr"]
    assert "Polly.Filiz" in rows["tr"] and "tr-TR" in rows["tr"]
    assert "zurückgezogen" in rows["ar"] and ">geprüft<" in rows["ar"]
    assert '<bdi class="native-name" lang="ar" dir="rtl">العربية</bdi>' in rows["ar"]
    assert "Datei fehlerhaft" in rows["ru"]
    for code in ("uk", "pl"):
        assert "Datei fehlt" in rows[code] and "zurückgezogen" in rows[code]
    warnings = re.search(r'<ul class="flash error prompts-warnings".*?</ul>', page, flags=re.S).group(0)
    assert "Türkisch wird angeboten, ist aber noch nicht von einer Muttersprachlerin geprüft." in warnings
    assert "Englisch" not in warnings and "Arabisch" not in warnings  # reviewed, or not offered


def test_a_language_beside_german_with_lang_and_dir(signed_in: Any, prompt_files: Path) -> None:
    page = signed_in.get("/prompts?language=tr").get_data(as_text=True)
    assert "Türkisch neben Deutsch" in page
    row = re.search(r"<code>language_choice</code>.*?</tr>", page, flags=re.S).group(0)
    assert '<span lang="de" dir="ltr">Für Deutsch bleiben Sie einfach dran.</span>' in row
    assert '<span lang="tr" dir="ltr">Türkçe için 4&#39;e basın.</span>' in row
    caller_type = re.search(r"<code>caller_type</code>.*?</tr>", page, flags=re.S).group(0)
    assert "fehlt" in caller_type  # a key German has and Turkish lacks
    assert "<code>only_here</code>" in page  # and one only the Turkish file has
    arabic = signed_in.get("/prompts?language=ar").get_data(as_text=True)
    assert '<span lang="ar" dir="rtl">مرحبا بكم في فلوكس.</span>' in arabic


def test_a_missing_or_broken_file_is_shown_never_an_error(signed_in: Any, prompt_files: Path) -> None:
    missing = signed_in.get("/prompts?language=pl")
    assert missing.status_code == 200
    assert "pl.toml gibt es noch nicht" in missing.get_data(as_text=True)
    broken = signed_in.get("/prompts?language=ru")
    assert broken.status_code == 200
    assert "Die Datei lässt sich nicht lesen" in broken.get_data(as_text=True)


def test_an_unknown_language_is_404(signed_in: Any, prompt_files: Path) -> None:
    assert signed_in.get("/prompts?language=xx").status_code == 404
    assert signed_in.get("/prompts?language=٤").status_code == 404


def test_a_lead_sees_it_too_and_in_english(client: Any, session: Any, clock: Any) -> None:
    create_user(session, username="lena", name="Lena", role="lead", password=PASSWORD, now=clock.now())
    sign_in(client, "lena")
    client.get("/lang/en")
    page = client.get("/prompts?language=de").get_data(as_text=True)
    assert "Prompts and languages" in page and "Welcome" not in page  # German alone: no second column
    assert "Willkommen bei Fluxx" in page


def test_the_simulator_lists_the_offered_languages_with_their_keys_and_voices(signed_in: Any) -> None:
    page = signed_in.get("/simulator").get_data(as_text=True)
    offers = re.search(r'<div class="sim-languages".*?</div>', page, flags=re.S).group(0)
    assert re.search(r'<li data-language="en"><kbd class="sim-lang-key">9</kbd> Englisch', offers)
    assert re.search(r'<li data-language="tr"><kbd class="sim-lang-key">4</kbd> Türkisch <bdi[^>]*lang="tr"', offers)
    assert 'data-language="ar"' not in offers  # withdrawn: its key is not understood
    voices = json.loads(html.unescape(re.search(r'data-voices="([^"]*)"', page).group(1)))
    assert voices["arb"] == {"code": "ar", "dir": "rtl", "voice": "Polly.Zeina"}
    assert voices["tr-TR"] == {"code": "tr", "dir": "ltr", "voice": "Polly.Filiz"}


def test_the_sms_texts_beside_german_with_their_review_mark(signed_in: Any, prompt_files: Path,
                                                            monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    import ivr.overview

    sms = tmp_path / "sms"
    sms.mkdir()
    (sms / "de.toml").write_text('reviewed = true\noffer = "Anfrage {code}"\n', encoding="utf-8")
    (sms / "ar.toml").write_text('reviewed = true\noffer = "طلب {code}"\n', encoding="utf-8")
    (sms / "commands.ar.toml").write_text('reviewed = false\n[caregiver]\nhelp = "مساعدة"\n', encoding="utf-8")
    monkeypatch.setattr(ivr.overview, "TEXTS_DIR", sms)
    page = signed_in.get("/prompts?language=ar").get_data(as_text=True)
    table = re.search(r'<table[^>]*id="table-sms".*?</table>', page, flags=re.S).group(0)
    assert '<span lang="de" dir="ltr">Anfrage {code}</span>' in table
    assert '<span lang="ar" dir="rtl">طلب {code}</span>' in table
    assert "<code>commands:caregiver.help</code>" in table
    rows = {code: _language_row(page, code) for code in ("de", "ar", "tr")}
    assert rows["de"].count(">geprüft<") == 2  # prompts and SMS
    assert "noch nicht von einer Muttersprachlerin geprüft" in rows["ar"]  # the commands file is not reviewed
    assert "Datei fehlt" in rows["tr"]  # no Turkish SMS file here
    turkish = signed_in.get("/prompts?language=tr").get_data(as_text=True)
    assert "tr.toml gibt es noch nicht" in turkish
