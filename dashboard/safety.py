"""Where the dashboard may send a browser next: only paths of this site, never another host."""

from __future__ import annotations

from urllib.parse import urlsplit

#: Characters a same-site path may carry unencoded (printable ASCII without backslash or space).
_ALLOWED = frozenset(chr(c) for c in range(0x21, 0x7F)) - {"\\"}


def safe_next(target: str | None) -> str | None:
    """Return `target` when it is a path on this site, else None.

    Browsers drop tabs and newlines and read backslashes as slashes, so `/\t/evil.example/` and
    `/\\evil.example` become `//evil.example`, another host: anything but printable ASCII without
    backslashes is refused, as is anything with a scheme, a host, or a leading `//`.
    """
    if not target or len(target) > 2000 or not target.startswith("/") or target.startswith("//"):
        return None
    if any(ch not in _ALLOWED for ch in target):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return None
    return target
