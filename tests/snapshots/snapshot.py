"""Snapshots of what users see: compare a rendered text with its file under tests/snapshots/data.

`assert_snapshot("voice_menu.txt", text)` fails with a unified diff when the text differs from the
stored file. Run with UPDATE_SNAPSHOTS=1 to (re)write the files instead; review the diff in git.
Only what is inherently variable is normalised (`normalise`): database ids in URLs, which differ
between SQLite and PostgreSQL (sequences are not rolled back). The clock is frozen by the tests, and
case references and offer codes come from a fixed sequence (tests/snapshots/conftest.py).
"""

from __future__ import annotations

import difflib
import os
import re
from pathlib import Path

import pytest

DATA = Path(__file__).resolve().parent / "data"
UPDATE = os.environ.get("UPDATE_SNAPSHOTS") == "1"

#: URL path segments that carry a database id: /voice/screen/17 -> /voice/screen/<id>.
_ID_IN_URL = re.compile(r"(/(?:voicemail|screen|callback|cases|invoices|statements|caregivers|employers|families)/)\d+")


def normalise(text: str) -> str:
    """Replace database ids in URLs by <id>."""
    return _ID_IN_URL.sub(r"\1<id>", text)


#: "id": 123 in JSON -> "id": "<id>"
_JSON_ID = re.compile(r'("(?:id|[a-z_]+_id)": )\d+')


def normalise_json(text: str) -> str:
    """Replace database ids in JSON ("id": 12, "case_id": 12) by "<id>", and ids in URLs."""
    return normalise(_JSON_ID.sub(r'\1"<id>"', text))


def xml_lines(body: str) -> str:
    """Return a TwiML document one tag per line (a newline between adjacent tags, nothing else changed)."""
    return body.replace("><", ">\n<")


def assert_snapshot(name: str, text: str) -> None:
    """Compare `text` with tests/snapshots/data/<name>; write it instead when UPDATE_SNAPSHOTS=1."""
    path = DATA / name
    if not text.endswith("\n"):
        text += "\n"
    if UPDATE:
        path.parent.mkdir(parents=True, exist_ok=True)
        if not path.exists() or _read(path) != text:
            path.write_text(text, encoding="utf-8", newline="")
        return
    if not path.exists():
        pytest.fail(f"no snapshot {path.relative_to(DATA.parent.parent.parent)}: run with UPDATE_SNAPSHOTS=1 "
                    "and review the new file")
    expected = _read(path)
    if expected != text:
        diff = "".join(difflib.unified_diff(expected.splitlines(keepends=True), text.splitlines(keepends=True),
                                            fromfile=f"snapshot {name}", tofile="now", n=2))
        pytest.fail(f"what users see changed ({name}); if intended, run with UPDATE_SNAPSHOTS=1:\n{diff}",
                    pytrace=False)


def _read(path: Path) -> str:
    """Read a snapshot byte for byte (CSV lines end in CRLF; no newline translation)."""
    with path.open(encoding="utf-8", newline="") as f:
        return f.read()
