"""The README's claims that a test can check: layout, dependency notes, the two commands, the case JSON."""

from __future__ import annotations

import re
import subprocess
from datetime import UTC, datetime
from pathlib import Path

from core.languages import KEY_OF, LANGUAGES
from core.languages import name as language_name
from core.settings import default

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def section(title: str) -> str:
    """Return the README's section under a heading, up to the next heading of the same or a higher level."""
    match = re.search(rf"^(#+) {re.escape(title)}\n", README, re.M)
    assert match, f"README has no section {title!r}"
    body = README[match.end():]
    following = re.search(rf"^#{{1,{len(match.group(1))}}} ", body, re.M)
    return body[: following.start()] if following else body


def layout_tree() -> list[str]:
    """Return the top-level names of the layout tree in "Design and layout"."""
    block = re.search(r"```\n(app\.py .*?)```", section("Design and layout"), re.S)
    assert block, "the layout tree is a code block starting with app.py"
    return re.findall(r"^(\S+)\s", block.group(1), re.M)


def tracked_top_level_dirs() -> set[str]:
    """Return the top-level folders that hold files under version control."""
    files = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    return {line.split("/", 1)[0] for line in files.splitlines() if "/" in line and not line.startswith(".")}


def test_every_folder_of_the_layout_tree_exists_and_every_folder_is_in_it() -> None:
    names = layout_tree()
    for name in names:
        assert (ROOT / name.rstrip("/")).exists(), f"README's layout names {name}, which does not exist"
    listed = {n.rstrip("/") for n in names}
    assert tracked_top_level_dirs() <= listed, f"not in README's layout: {tracked_top_level_dirs() - listed}"
    for sub in ("tests/browser", "tests/scaleout", "billing", "reports"):
        assert (ROOT / sub).is_dir() and sub.split("/")[-1] + "/" in section("Design and layout")


def pinned_packages() -> list[str]:
    """Return the names of the packages requirements.txt and requirements-dev.txt pin."""
    names = []
    for file in ("requirements.txt", "requirements-dev.txt"):
        for line in (ROOT / file).read_text().splitlines():
            match = re.match(r"^([A-Za-z0-9_.-]+)(\[[^]]*\])?==", line.strip())
            if match:
                names.append(match.group(1))
    return names


def test_every_pinned_package_is_explained_in_the_dependency_notes() -> None:
    rows = re.findall(r"^\| ([^|]+) \|", section("Dependency notes"), re.M)
    explained = {word.lower() for row in rows for word in re.split(r"[,\s]+", row) if word}
    missing = [name for name in pinned_packages() if name.lower() not in explained]
    assert not missing, f"pinned but not in README's dependency notes: {missing}"
    assert len(pinned_packages()) >= 20


def test_the_two_commands_exist_as_the_readme_says() -> None:
    makefile = (ROOT / "Makefile").read_text()
    assert re.search(r"^run: .*##", makefile, re.M) and re.search(r"^test: .*##", makefile, re.M)
    assert "make run    #" in README and "make test   #" in README
    # `make run PORT=8000`: the Makefile passes PORT on, and bin/run-local serves and names that port.
    assert "make run\nPORT=8000`" in README or "make run PORT=8000" in README
    assert re.search(r"^PORT \?= 5000$", makefile, re.M) and "PORT=$(PORT)" in makefile
    run_local = (ROOT / "bin" / "run-local").read_text()
    assert '--port "$PORT"' in run_local and "http://127.0.0.1:$PORT/login" in run_local


def test_the_case_json_fields_are_the_ones_the_code_prints() -> None:
    from cases.service import case_to_json
    from models import Case

    case = Case(reference="K7Q2", created_at=datetime(2026, 11, 23, 9, 0, tzinfo=UTC), flags=[])
    documented = section("The case JSON")
    listed = set(re.findall(r"`([a-z_]+)`", documented.split("`tests/unit/test_readme.py`")[0]))
    fields = set(case_to_json(case))
    assert fields <= listed, f"the case JSON has fields the README does not list: {fields - listed}"


def test_only_documents_in_the_repository_are_cited() -> None:
    files = subprocess.run(["git", "ls-files", "*.py", "*.md", "*.html", "*.toml", "Makefile", "bin/*"], cwd=ROOT,
                           capture_output=True, text=True, check=True).stdout.split()
    citing = [f for f in files if f != "tests/unit/test_readme.py"
              and re.search(r"DESIGN\.md|outside this\s+repository", (ROOT / f).read_text(encoding="utf-8"))]
    assert not citing, f"these cite a document a newcomer cannot open: {citing}"


def test_the_phone_claim_is_measured_by_a_browser_test() -> None:
    phone_test = (ROOT / "tests" / "browser" / "test_phone.py").read_text()
    assert '"width": 375' in phone_test and "scrollWidth" in phone_test
    assert "at 375 px no page scrolls sideways" in README


def test_the_languages_table_names_each_languages_key_file_voice_and_tag() -> None:
    rows = {cells[0]: cells[1:5] for cells in
            (re.findall(r"[^|]+", row.replace("`", "")) for row in
             re.findall(r"^\|(.+)\|$", section("Languages"), re.M)[2:])}
    rows = {key.strip(): [cell.strip() for cell in cells] for key, cells in rows.items()}
    assert list(rows) == [language_name(language, "en") for language in LANGUAGES]
    for language in LANGUAGES:
        key, file, voice, tag = rows[language_name(language, "en")]
        assert key == KEY_OF.get(language, "—") and file == f"{language}.toml"
        assert (voice, tag) == (default(f"voice_{language}"), default(f"language_{language}")), language
