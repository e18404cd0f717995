"""Text files the coordination office may edit while the hotline runs: read once, again when changed."""

from __future__ import annotations

import tomllib
from functools import lru_cache
from pathlib import Path
from typing import Any


def load_toml(path: Path) -> dict[str, Any]:
    """Return a TOML file's content, parsed once and parsed again when the file changes."""
    return _parse(path, path.stat().st_mtime_ns)


@lru_cache(maxsize=64)  # seven languages of prompts, SMS texts and command answers
def _parse(path: Path, modified: int) -> dict[str, Any]:
    """Parse one version of the file; `modified` is only part of the cache key."""
    return tomllib.loads(path.read_text(encoding="utf-8"))
