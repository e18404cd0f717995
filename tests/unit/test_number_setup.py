"""The hotline number's wanted webhook settings and the plan to get there (pure)."""

from __future__ import annotations

import pytest

from ops.number_setup import (
    MANAGED_FIELDS,
    BaseUrlError,
    changes_of,
    plan_number_setup,
    require_base_url,
    wanted_number_setup,
)


def test_every_url_is_built_from_the_base_and_every_method_is_post() -> None:
    wanted = wanted_number_setup("https://hotline.example.org/")
    assert wanted["voice_url"] == "https://hotline.example.org/voice/incoming"
    assert wanted["voice_fallback_url"] == "https://hotline.example.org/voice/fallback"
    assert wanted["status_callback"] == "https://hotline.example.org/voice/status"
    assert wanted["sms_url"] == "https://hotline.example.org/sms/incoming"
    assert wanted["sms_fallback_url"] == "https://hotline.example.org/sms/fallback"
    assert {wanted[f] for f in MANAGED_FIELDS if f.endswith("method")} == {"POST"}


def test_a_base_url_with_a_path_prefix_keeps_it() -> None:
    assert wanted_number_setup("https://example.org/fluxx")["sms_url"] == "https://example.org/fluxx/sms/incoming"


def test_plan_marks_only_differences_and_methods_ignore_case() -> None:
    current: dict[str, str | None] = dict(wanted_number_setup("https://a.example"))
    current["voice_method"] = "post"
    current["sms_url"] = None
    plan = plan_number_setup(current, "https://a.example")
    assert changes_of(plan) == {"sms_url": "https://a.example/sms/incoming"}


@pytest.mark.parametrize("url", [None, "", "hotline.example.org", "ftp://x.example", "https://x.example/?a=1"])
def test_unusable_base_urls_are_refused(url: str | None) -> None:
    with pytest.raises(BaseUrlError):
        require_base_url(url, allow_http=True)


def test_http_needs_allow_http() -> None:
    with pytest.raises(BaseUrlError, match="--allow-http"):
        require_base_url("http://x.example")
    assert require_base_url("http://x.example/", allow_http=True) == "http://x.example"
