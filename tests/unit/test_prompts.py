"""Prompt files: complete, consistent between languages, short enough, and safe to edit."""

import os
import re
from pathlib import Path

import pytest

from core.languages import KEY_OF
from ivr.menu import LINE_KEYS, Line, Step
from ivr.prompts import DEFAULT_DIRECTORY, LANGUAGES, PromptError, Utterance, load_prompts
from ivr.script import count_words, walk

HAPPY_PATH = ["1", "1", "1", "3", "30159", "1", "1"]
# Keys the webhooks speak outside the menu steps.
WEBHOOK_KEYS = {
    "queue_entered",
    "queue_position",
    "queue_estimate",
    "queue_estimate_one",
    "queue_options",
    "queue_callback_confirmed",
    "queue_callback_impossible",
    "queue_connecting",
    "queue_max_wait",
    "closed",
    "voicemail",
    "voicemail_thanks",
    "voicemail_none",
    "fallback",
    "fallback_summary",
    "screening",
    "screening_declined",
    "screening_accepted",
}
PARAMS = {
    "postcode_readback": {"digits", "municipality"},
    "postcode_readback_shared": {"digits", "municipality", "other_municipality"},
    "closed": {"hours"},
    "screening": {"summary"},
    "queue_position": {"position"},
    "queue_estimate": {"minutes"},
}


def test_every_key_the_menu_and_webhooks_need_exists():
    needed = {step.value for step in Step} | LINE_KEYS | WEBHOOK_KEYS
    for language in LANGUAGES:
        assert needed <= load_prompts(language).keys(), language


def test_params_are_the_documented_ones():
    prompts = load_prompts("de")
    for key in prompts.keys():
        assert prompts.params(key) == PARAMS.get(key, set()), key


def test_say_fills_in_params():
    de, en = load_prompts("de"), load_prompts("en")
    line = Line("postcode_readback", {"digits": "3 0 1 5 9", "municipality": "Hannover"})
    assert de.say(line) == Utterance("3 0 1 5 9, Hannover.", None)
    shared = Line(
        "postcode_readback_shared",
        {"digits": "3 0 6 6 9", "municipality": "Hannover", "other_municipality": "Langenhagen"},
    )
    assert de.say(shared).text == "3 0 6 6 9, Hannover oder Langenhagen."
    assert en.say(shared).text == "3 0 6 6 9, Hannover or Langenhagen."


def test_a_missing_key_or_param_is_a_clear_error():
    de = load_prompts("de")
    with pytest.raises(PromptError, match="no prompt 'nonsense'"):
        de.say(Line("nonsense"))
    with pytest.raises(PromptError, match="'closed' .* needs hours"):
        de.say(Line("closed"))


def test_unknown_language_is_refused():
    with pytest.raises(PromptError, match="unknown prompt language"):
        load_prompts("fr")


def test_the_german_menu_offers_english_in_english():
    assert load_prompts("en").say(Line("language_choice")).text == "For English, press 9."
    # The German question names only its own keys; each language offers itself in its own file.
    assert not set("456789") & set(load_prompts("de").say(Line("caller_type")).text)


@pytest.mark.parametrize("language", [language for language in LANGUAGES if language != "de"])
def test_each_language_offers_itself_with_its_key_and_no_other(language):
    text = load_prompts(language).say(Line("language_choice")).text
    assert [c for c in text if c.isdigit()] == [KEY_OF[language]], text
    assert not set("456789") & set(load_prompts(language).say(Line("caller_type")).text)


@pytest.mark.parametrize("language", LANGUAGES)
def test_question_prompts_name_their_keys(language):
    prompts = load_prompts(language)
    expected = {
        "caller_type": "1230",
        "care_type": "12",
        "child_age": "0",
        "care_level": "150",
        "urgency": "1234",
        "reason": "1234",
    }
    for key, digits in expected.items():
        text = prompts.say(Line(key)).text
        assert all(d in text for d in digits), (key, text)


# How a native speaker says the emergency number: "eins eins zwei", "one one two", Arabic digit by digit,
# but "yüz on iki", "сто двенадцать", "сто дванадцять", "sto dwanaście" (written as one number).
EMERGENCY = {"de": "1 1 2", "en": "1 1 2", "ar": "1 1 2", "tr": "112", "ru": "112", "uk": "112", "pl": "112"}


def test_every_language_says_the_emergency_number_its_way():
    assert set(EMERGENCY) == set(LANGUAGES)


@pytest.mark.parametrize("language", LANGUAGES)
def test_safety_numbers_are_said(language):
    prompts = load_prompts(language)
    emergency = re.compile(rf"(?<![0-9])(?<![0-9] ){EMERGENCY[language]}(?![0-9])(?! [0-9])")
    closed = prompts.say(Line("closed", {"hours": "x"})).text
    assert emergency.search(closed) and "1 1 6 1 1 7" in closed
    assert emergency.search(prompts.say(Line("voicemail")).text)
    assert emergency.search(prompts.say(Line("voicemail_none")).text)
    assert "1" in prompts.say(Line("screening", {"summary": "Kind."})).text


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_menu_in_a_language_on_its_own_is_well_under_120_words(language):
    # Her language's part of the happy path; with the German welcome and its offers: test_time_to_human.
    assert count_words(walk(HAPPY_PATH, language=language, offered=("de",))) < 110


def test_the_german_happy_path_says_the_questions_in_order():
    texts = [u.text for u in walk(HAPPY_PATH)]
    prompts = load_prompts("de")
    assert texts[0] == prompts.say(Line("welcome")).text
    assert "3 0 1 5 9, Hannover." in texts
    assert texts[-1] == prompts.say(Line("connecting")).text


@pytest.mark.parametrize("language", [language for language in LANGUAGES if language != "de"])
def test_a_language_key_speaks_that_language_after_the_german_welcome(language):
    spoken = walk([KEY_OF[language], "1"])
    others = [code for code in LANGUAGES if code != "de"]
    assert [u.language for u in spoken[:8]] == ["de", "de", *others]
    prompts = load_prompts(language)
    assert spoken[8:] == [prompts.say(Line("welcome")), prompts.say(Line("caller_type")),
                          prompts.say(Line("care_type"))]
    assert {u.language for u in spoken[8:]} == {language}


def test_count_words_counts_digits_apart_and_ignores_punctuation():
    assert count_words([Utterance("3 0 1 5 9, Hannover.", None), Utterance("– Ja!", None)]) == 7


def write(directory: Path, language: str, body: str) -> None:
    (directory / f"{language}.toml").write_text(body, encoding="utf-8")


def test_prompts_dir_overrides_the_default(tmp_path, monkeypatch):
    write(tmp_path, "de", '[welcome]\ntext = "Hallo."\naudio = "welcome-de.mp3"\n')
    monkeypatch.setenv("PROMPTS_DIR", str(tmp_path))
    assert load_prompts("de").say(Line("welcome")) == Utterance("Hallo.", "welcome-de.mp3")
    monkeypatch.delenv("PROMPTS_DIR")
    assert load_prompts("de").path.parent == DEFAULT_DIRECTORY


def test_an_edited_file_is_read_again(tmp_path):
    write(tmp_path, "de", '[welcome]\ntext = "Hallo."\n')
    assert load_prompts("de", tmp_path).say(Line("welcome")).text == "Hallo."
    assert load_prompts("de", tmp_path) is load_prompts("de", tmp_path)
    path = tmp_path / "de.toml"
    write(tmp_path, "de", '[welcome]\ntext = "Guten Tag."\n')
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    assert load_prompts("de", tmp_path).say(Line("welcome")).text == "Guten Tag."


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("[welcome\n", "cannot read"),
        ('welcome = "Hallo"\n', "needs text"),
        ("[welcome]\naudio = 'a.mp3'\n", "needs text"),
        ('[welcome]\ntext = "Hi"\nvoice = "x"\n', "unknown fields"),
        ('[welcome]\ntext = "Hi"\naudio = ""\n', "audio must be a file name"),
        ('[closed]\ntext = "{hours}"\naudio = "closed.mp3"\n', "cannot have a recording"),
        ('[closed]\ntext = "Zeiten: {0}"\n', "invalid param"),
        ('[closed]\ntext = "Zeiten: {hours"\n', "broken"),
    ],
)
def test_a_broken_file_is_a_clear_error(tmp_path, body, message):
    write(tmp_path, "de", body)
    with pytest.raises(PromptError, match=message):
        load_prompts("de", tmp_path)


def test_a_missing_file_is_a_clear_error(tmp_path):
    with pytest.raises(PromptError, match="cannot read prompt file"):
        load_prompts("en", tmp_path)


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_shipped_prompt_renders(language):
    prompts = load_prompts(language)
    for key in prompts.keys():
        utterance = prompts.say(Line(key, {p: "x" for p in prompts.params(key)}))
        assert utterance.text.strip() and "{" not in utterance.text, key
