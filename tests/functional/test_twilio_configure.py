"""`twilio configure` against the Twilio stand-in: plan, dry run, update, idempotence, plain errors."""

from __future__ import annotations

from typing import Any

import pytest

from core.settings import Settings
from tests.fixtures_twilio import TEST_ACCOUNT_SID, TEST_AUTH_TOKEN, assert_accepted_by_twilio_api
from tests.helpers import TEST_TOKEN
from tests.twilio_standin import TwilioStandIn

HOTLINE = "+4951187654321"
BASE = "https://hotline.example.org"
WANTED = {
    "VoiceUrl": f"{BASE}/voice/incoming",
    "VoiceFallbackUrl": f"{BASE}/voice/fallback",
    "StatusCallback": f"{BASE}/voice/status",
    "SmsUrl": f"{BASE}/sms/incoming",
    "SmsFallbackUrl": f"{BASE}/sms/fallback",
}


@pytest.fixture
def settings(twilio_standin: TwilioStandIn) -> Settings:
    """A hotline with Twilio credentials, talking to the stand-in."""
    return Settings(
        database_url="sqlite://",
        twilio_account_sid=TEST_ACCOUNT_SID,
        twilio_auth_token=TEST_AUTH_TOKEN,
        twilio_api_base=twilio_standin.base_url,
        hotline_number=HOTLINE,
        public_base_url=BASE,
        fallback_number="+495111680000",
        simulator_auth_token=TEST_TOKEN,
    )


def _configure(app: Any, settings: Settings, *args: str) -> Any:
    app.extensions["fluxx"].settings = settings
    return app.test_cli_runner().invoke(args=["twilio", "configure", *args])


def test_configure_sets_every_url_with_post_in_one_valid_request(
    app: Any, settings: Settings, twilio_standin: TwilioStandIn, twilio_openapi: Any
) -> None:
    methods = {m: "GET" for m in ("voice_method", "voice_fallback_method", "status_callback_method", "sms_method",
                                  "sms_fallback_method")}
    sid = twilio_standin.add_number(HOTLINE, voice_url="https://old.example.org/voice", **methods)
    twilio_standin.add_number("+4951100000000")

    result = _configure(app, settings)

    assert result.exit_code == 0, result.output
    [update] = twilio_standin.number_requests("POST")
    assert update.path.endswith(f"/IncomingPhoneNumbers/{sid}.json")
    for name, url in WANTED.items():
        assert update.param(name) == url
    for method in ("VoiceMethod", "VoiceFallbackMethod", "StatusCallbackMethod", "SmsMethod", "SmsFallbackMethod"):
        assert update.param(method) == "POST"
    [lookup] = twilio_standin.number_requests("GET")
    assert lookup.param("PhoneNumber") == HOTLINE
    for record in twilio_standin.requests:
        assert_accepted_by_twilio_api(record, twilio_openapi)
    number = twilio_standin.numbers[sid]
    assert number["voice_url"] == f"{BASE}/voice/incoming" and number["sms_fallback_url"] == f"{BASE}/sms/fallback"
    assert "https://old.example.org/voice -> https://hotline.example.org/voice/incoming" in result.output
    assert "10 Feld(er) geändert" in result.output


def test_second_run_sends_no_update(app: Any, settings: Settings, twilio_standin: TwilioStandIn) -> None:
    twilio_standin.add_number(HOTLINE)
    assert _configure(app, settings).exit_code == 0
    before = len(twilio_standin.number_requests("POST"))

    again = _configure(app, settings, "--language", "en")

    assert again.exit_code == 0, again.output
    assert len(twilio_standin.number_requests("POST")) == before == 1
    assert "nothing to change" in again.output
    assert "change  " not in again.output


def test_only_the_fields_that_differ_are_sent(app: Any, settings: Settings, twilio_standin: TwilioStandIn) -> None:
    right = {"voice_url": WANTED["VoiceUrl"], "voice_fallback_url": WANTED["VoiceFallbackUrl"],
             "status_callback": WANTED["StatusCallback"], "sms_url": WANTED["SmsUrl"]}
    twilio_standin.add_number(HOTLINE, **right, sms_method="GET")

    result = _configure(app, settings)

    assert result.exit_code == 0, result.output
    [update] = twilio_standin.number_requests("POST")
    assert set(update.form) == {"SmsMethod", "SmsFallbackUrl"}


def test_dry_run_shows_the_plan_and_sends_nothing(
    app: Any, settings: Settings, twilio_standin: TwilioStandIn
) -> None:
    twilio_standin.add_number(HOTLINE, voice_url=WANTED["VoiceUrl"])

    result = _configure(app, settings, "--dry-run", "--language", "en")

    assert result.exit_code == 0, result.output
    assert twilio_standin.number_requests("POST") == []
    assert "right    voice_url" in result.output
    assert "change   sms_url" in result.output
    assert "Dry run: 4 field(s) would change" in result.output


def test_http_base_url_is_refused_unless_allowed(app: Any, settings: Settings, twilio_standin: TwilioStandIn) -> None:
    twilio_standin.add_number(HOTLINE)
    plain = settings.with_overrides(public_base_url="http://hotline.example.org")

    refused = _configure(app, plain)
    assert refused.exit_code == 1
    assert "--allow-http" in refused.output and twilio_standin.requests == []

    allowed = _configure(app, plain, "--allow-http")
    assert allowed.exit_code == 0, allowed.output
    [update] = twilio_standin.number_requests("POST")
    assert update.param("VoiceUrl") == "http://hotline.example.org/voice/incoming"


def test_wrong_credentials_are_explained_without_a_traceback(
    app: Any, settings: Settings, twilio_standin: TwilioStandIn
) -> None:
    twilio_standin.add_number(HOTLINE)

    result = _configure(app, settings.with_overrides(twilio_auth_token="wrong-token"), "--language", "en")

    assert result.exit_code == 1
    assert "refuses the credentials (error 20003)" in result.output
    assert "Traceback" not in result.output and isinstance(result.exception, SystemExit)


def test_a_number_not_in_the_account_is_named(app: Any, settings: Settings, twilio_standin: TwilioStandIn) -> None:
    twilio_standin.add_number("+4951100000000")

    result = _configure(app, settings)

    assert result.exit_code == 1
    assert f"Die Nummer {HOTLINE} (HOTLINE_NUMBER) gehört nicht zum Twilio-Konto {TEST_ACCOUNT_SID}" in result.output
    assert twilio_standin.number_requests("POST") == []


def test_unreachable_twilio_is_explained(app: Any, settings: Settings) -> None:
    result = _configure(app, settings.with_overrides(twilio_api_base="http://127.0.0.1:9"), "--language", "en")

    assert result.exit_code == 1
    assert "Cannot reach Twilio at http://127.0.0.1:9" in result.output


def test_simulator_mode_is_refused(app: Any, settings: Settings) -> None:
    result = _configure(app, settings.with_overrides(twilio_account_sid=None, twilio_auth_token=None))

    assert result.exit_code == 1
    assert "Simulatorbetrieb" in result.output


def test_a_twiml_app_on_the_number_is_warned_about(app: Any, settings: Settings, twilio_standin: TwilioStandIn) -> None:
    twilio_standin.add_number(HOTLINE, voice_application_sid="AP" + "0" * 32)

    result = _configure(app, settings, "--language", "en")

    assert result.exit_code == 0, result.output
    assert "a TwiML App (AP" in result.output and "Twilio then ignores the URLs" in result.output
