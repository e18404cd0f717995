"""After sign-in (and a language switch) the browser goes only to a path of this site."""

from __future__ import annotations

import pytest

from dashboard.safety import safe_next

HOSTILE = [
    "//evil.example/", "/\t/evil.example/", "/\n/evil.example/", "/\r\n/evil.example", "/\\evil.example",
    "/\\/evil.example", "\\\\evil.example", "https://evil.example/", "http:/evil.example", "javascript:alert(1)",
    "JaVaScRiPt:alert(1)", "data:text/html,x", "evil.example", " /board", "/ /evil.example", "/\x00//evil",
    "/\x0b/evil.example", "/\u3000/evil.example", "/\uff0f\uff0fevil.example", "/board\x7f", "", None,
    "/" + "a" * 3000, "///evil.example",
]


@pytest.mark.parametrize("target", HOSTILE)
def test_anything_that_could_leave_the_site_is_refused(target: str | None) -> None:
    assert safe_next(target) is None


@pytest.mark.parametrize("target", ["/", "/board", "/cases/12?tab=timeline#offers", "/roster?week=2026-W48",
                                    "/a%2F%2Fb", "/users/3/edit"])
def test_a_path_of_this_site_is_kept(target: str) -> None:
    assert safe_next(target) == target
