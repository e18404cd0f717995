"""Every prompt file against German: the same keys and placeholders, a review mark, and no German left in it."""

from __future__ import annotations

import re
import string
import tomllib

import pytest

from core.languages import LANGUAGES
from ivr.prompts import Prompts, find_prompt_problems, find_unreviewed, load_prompts

OTHERS = [language for language in LANGUAGES if language != "de"]
# Words of the German prompts that must not survive in another language's file (whole words, as written).
GERMAN_WORDS = frozenset("""
    Sie Ihre Ihren Ihr bitte Bitte drücken Drücken die der das und oder für Für mit nicht ist
    Betreuung Betreuungskräfte Kind Kinder Kindes Postleitzahl Willkommen Danke verbinde Nachricht
    Anruf Wiederhören Warteschlange Minuten Minute Raute Arbeitgeber jetzt Sofort Heute Morgen Später
    Notfall Unfall Krankheit Angehörige leider Leider Gespräch Koordinatorin Koordinatorinnen Platz
    Wartezeit Rückruf Lebensgefahr wählen Signalton
""".split())
# Names every language says as they are: the hotline, the city, and the German term on the care-level letter.
NAMES = ("Fluxx", "Hannover", "Pflegegrad")
_WORD = re.compile(r"\w+")
_CYRILLIC = re.compile(r"[\u0400-\u04ff]")
_ARABIC = re.compile(r"[\u0600-\u06ff]")


def texts(prompts: Prompts) -> dict[str, str]:
    """Return every prompt's raw text, {placeholders} unfilled."""
    return {key: prompts.prompts[key].text for key in prompts.keys()}


def wording(text: str) -> str:
    """Return what a text says besides placeholders, digits, punctuation and names (empty: nothing to translate)."""
    said = "".join(literal for literal, *_ in string.Formatter().parse(text))
    for name in NAMES:
        said = said.replace(name, " ")
    return " ".join(word for word in _WORD.findall(said) if not word.isdigit())


@pytest.mark.parametrize("language", OTHERS)
def test_the_file_has_the_keys_and_placeholders_of_german(language):
    german, prompts = load_prompts("de"), load_prompts(language)
    assert prompts.keys() == german.keys(), sorted(prompts.keys() ^ german.keys())
    for key in german.keys():
        assert prompts.params(key) == german.params(key), key


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_file_carries_a_review_mark(language):
    prompts = load_prompts(language)
    raw = tomllib.loads(prompts.path.read_text(encoding="utf-8"))
    assert isinstance(raw.get("reviewed"), bool), "reviewed = true|false belongs at the top of the file"
    assert prompts.reviewed is raw["reviewed"]


@pytest.mark.parametrize("language", OTHERS)
def test_no_german_is_left_in_the_file(language):
    for key, text in texts(load_prompts(language)).items():
        left = sorted(set(_WORD.findall(text)) & GERMAN_WORDS)
        assert not left, f"[{key}] in {language}.toml still says {left}: {text}"


@pytest.mark.parametrize("language", OTHERS)
def test_no_prompt_is_left_as_in_german_or_english(language):
    german, english = texts(load_prompts("de")), texts(load_prompts("en"))
    for key, text in texts(load_prompts(language)).items():
        if not wording(text):
            continue  # only placeholders, digits and names ("{digits}, {municipality}.")
        assert wording(text) != wording(german[key]), f"[{key}] in {language}.toml is the German text"
        if language != "en":
            assert wording(text) != wording(english[key]), f"[{key}] in {language}.toml is the English text"


@pytest.mark.parametrize(("language", "script"), [("ar", _ARABIC), ("ru", _CYRILLIC), ("uk", _CYRILLIC)])
def test_every_prompt_is_written_in_the_languages_own_script(language, script):
    for key, text in texts(load_prompts(language)).items():
        if wording(text):
            assert script.search(text), f"[{key}] in {language}.toml: {text}"


def test_ukrainian_is_not_russian_and_russian_not_ukrainian():
    # Letters only one of the two alphabets has: ы э ъ ё are Russian, і ї є ґ Ukrainian.
    for key, text in texts(load_prompts("uk")).items():
        assert not set(text.lower()) & set("ыэъё"), f"[{key}] in uk.toml has Russian letters: {text}"
    for key, text in texts(load_prompts("ru")).items():
        assert not set(text.lower()) & set("іїєґ"), f"[{key}] in ru.toml has Ukrainian letters: {text}"


def test_the_wording_check_sees_through_placeholders_digits_and_names():
    assert wording("{digits}, {municipality}.") == ""
    assert wording("Fluxx: 1 1 2.") == ""
    assert wording("Fluxx-Anruf. {summary} Zum Annehmen drücken Sie die 1.") == "Anruf Zum Annehmen drücken Sie die"


def test_the_shipped_files_have_no_problems_and_five_await_review():
    assert find_prompt_problems(LANGUAGES) == {}
    assert find_unreviewed(LANGUAGES) == ["tr", "ar", "ru", "uk", "pl"]


def test_find_prompt_problems_names_what_is_wrong_in_each_file(tmp_path):
    source = load_prompts("de").path.parent
    for language in ("de", "en", "tr", "ar"):
        (tmp_path / f"{language}.toml").write_text((source / f"{language}.toml").read_text(encoding="utf-8"),
                                                   encoding="utf-8")
    english = tmp_path / "en.toml"
    english.write_text(english.read_text(encoding="utf-8").replace("[queue_max_wait]", "[queue_max_waits]")
                       .replace("{minutes} minutes", "{minute} minutes"), encoding="utf-8")
    (tmp_path / "tr.toml").write_text("[welcome\n", encoding="utf-8")
    problems = find_prompt_problems(("de", "en", "tr", "ar", "ru"), tmp_path)
    assert set(problems) == {"en", "tr", "ru"}
    assert problems["en"] == ("en.toml: lacks queue_max_wait; has unknown queue_max_waits; "
                              "other {params} than German in queue_estimate")
    assert "cannot read prompt file" in problems["tr"] and "cannot read prompt file" in problems["ru"]
    assert find_unreviewed(("de", "en", "tr", "ar"), tmp_path) == ["ar"]
