"""The time-to-human benchmark: what the caller hears before a person is rung."""

from bench.time_to_human import HAPPY_PATH, WORDS_PER_SECOND, main, measure


def test_measure_reports_the_three_paths():
    rows = {name: (keys, words, seconds) for name, keys, words, seconds in measure()}
    assert set(rows) == {"happy path, German", "0: a person now", "9 for English, then the happy path"}
    happy_keys, happy_words, happy_seconds = rows["happy path, German"]
    assert happy_keys == HAPPY_PATH
    assert happy_words < 110
    assert happy_seconds == happy_words / WORDS_PER_SECOND
    assert rows["0: a person now"][1] < 40
    english = rows["9 for English, then the happy path"][1]
    assert happy_words < english < 140


def test_main_prints_words_and_seconds(capsys):
    main()
    out = capsys.readouterr().out
    assert "happy path, German" in out and "words" in out and " s" in out
