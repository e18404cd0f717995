"""The time-to-human benchmark: what the caller hears before a person is rung, in every language."""

import pytest

from bench.time_to_human import (
    HAPPY_PATH,
    MAX_WORDS_GERMAN,
    MAX_WORDS_OTHER,
    WORDS_PER_SECOND,
    happy_path,
    happy_path_words,
    main,
    max_words,
    measure,
)
from core.languages import LANGUAGES


def test_measure_reports_german_a_person_now_and_every_language():
    rows = {name: (keys, words, seconds) for name, keys, words, seconds in measure()}
    assert set(rows) == {"happy path, German", "0: a person now", "9 for English, then the happy path",
                         "4 for Turkish, then the happy path", "5 for Arabic, then the happy path",
                         "6 for Russian, then the happy path", "7 for Ukrainian, then the happy path",
                         "8 for Polish, then the happy path"}
    happy_keys, happy_words, happy_seconds = rows["happy path, German"]
    assert happy_keys == HAPPY_PATH
    assert happy_seconds == happy_words / WORDS_PER_SECOND
    assert rows["0: a person now"][1] < 60
    assert rows["5 for Arabic, then the happy path"][0] == ("5", *HAPPY_PATH)


def test_the_limits_are_the_issues():
    assert (MAX_WORDS_GERMAN, MAX_WORDS_OTHER) == (130, 140)
    assert max_words("de") == 130 and all(max_words(language) == 140 for language in LANGUAGES[1:])


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_happy_path_reaches_a_person_within_the_word_limit(language):
    # Counted with the whole German welcome: the greeting, the German choices and all six language offers.
    assert happy_path_words(language) <= max_words(language), happy_path(language)


def test_the_offers_are_counted_so_fewer_languages_mean_fewer_words():
    assert happy_path_words("tr", offered=("de", "tr")) < happy_path_words("tr") - 10


def test_main_prints_words_and_seconds(capsys):
    main()
    out = capsys.readouterr().out
    assert "happy path, German" in out and "8 for Polish" in out and "words" in out and " s" in out
