"""The prompt overview's SMS side (ivr.overview): review marks of both SMS files, the texts by key, German-only left out."""

from __future__ import annotations

from pathlib import Path

from ivr.overview import FileState, PromptText, find_sms_overview, pair_texts

JOB = '''reviewed = true
offer = "Teklif {code}"
unfilled = "nur für die Koordination"

[who]
child = "Çocuk"
'''


def test_reviewed_needs_the_mark_in_both_files(tmp_path: Path) -> None:
    (tmp_path / "tr.toml").write_text(JOB, encoding="utf-8")
    assert find_sms_overview("tr", directory=tmp_path).state is FileState.REVIEWED  # no commands file: the job file decides
    (tmp_path / "commands.tr.toml").write_text("reviewed = false\n", encoding="utf-8")
    assert find_sms_overview("tr", directory=tmp_path).state is FileState.NOT_REVIEWED


def test_texts_by_dotted_key_without_the_mark_and_the_coordinators_texts(tmp_path: Path) -> None:
    (tmp_path / "tr.toml").write_text(JOB, encoding="utf-8")
    (tmp_path / "commands.tr.toml").write_text(
        'reviewed = true\n[caregiver]\nhelp = "Yardım"\n[coordinator]\nhelp = "Hilfe für die Koordination"\n',
        encoding="utf-8")
    texts = find_sms_overview("tr", directory=tmp_path).texts
    assert texts["offer"] == PromptText("Teklif {code}")
    assert texts["who.child"] == PromptText("Çocuk")
    assert texts["commands:caregiver.help"] == PromptText("Yardım")
    assert "reviewed" not in texts and "unfilled" not in texts  # the mark; a German-only text
    assert "commands:coordinator.help" not in texts  # coordinators' answers stay German


def test_a_missing_or_broken_file_is_a_state_not_an_error(tmp_path: Path) -> None:
    assert find_sms_overview("pl", directory=tmp_path).state is FileState.MISSING
    (tmp_path / "ru.toml").write_text("offer = \n", encoding="utf-8")
    broken = find_sms_overview("ru", directory=tmp_path)
    assert broken.state is FileState.BROKEN and broken.problem


def test_pairs_keep_germans_order_then_the_others_extra_keys() -> None:
    german = {"a": PromptText("A"), "b": PromptText("B")}
    other = {"b": PromptText("b"), "c": PromptText("c")}
    assert [(p.key, p.german, p.other) for p in pair_texts(german, other)] == [
        ("a", PromptText("A"), None), ("b", PromptText("B"), PromptText("b")), ("c", None, PromptText("c"))]
