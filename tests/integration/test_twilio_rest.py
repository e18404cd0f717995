"""TwilioRestGateway against the local stand-in: every request is one Twilio's API description accepts."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

import pytest
from openapi_core.exceptions import OpenAPIError

from core.settings import Settings
from telephony.factory import make_gateway
from telephony.gateway import SendError
from telephony.twilio_rest import TwilioRestGateway
from tests.fixtures_twilio import TEST_ACCOUNT_SID, TEST_AUTH_TOKEN, assert_accepted_by_twilio_api
from tests.twilio_standin import TwilioStandIn

TO = "+4915112345678"
HOTLINE = "+4951187654321"
CALLBACK = "https://hotline.example.org/sms/status"


def test_send_goes_to_api_base_and_matches_twilios_api(
    twilio_standin: TwilioStandIn, twilio_openapi: object
) -> None:
    settings = Settings(
        database_url="sqlite://",
        twilio_account_sid=TEST_ACCOUNT_SID,
        twilio_auth_token=TEST_AUTH_TOKEN,
        twilio_api_base=twilio_standin.base_url,
        hotline_number=HOTLINE,
    )
    gateway = make_gateway(settings)
    assert isinstance(gateway, TwilioRestGateway)

    sid = gateway.send_sms(
        to=TO, body="Ihre Betreuung kommt um 14:30. Grüße, Fluxx", from_=HOTLINE, status_callback=CALLBACK
    )

    assert sid.startswith("SM") and len(sid) == 34
    [request] = twilio_standin.requests
    assert request.path == f"/2010-04-01/Accounts/{TEST_ACCOUNT_SID}/Messages.json"
    assert request.basic_auth == (TEST_ACCOUNT_SID, TEST_AUTH_TOKEN)
    assert request.param("To") == TO
    assert request.param("From") == HOTLINE
    assert request.param("Body") == "Ihre Betreuung kommt um 14:30. Grüße, Fluxx"
    assert request.param("StatusCallback") == CALLBACK
    assert_accepted_by_twilio_api(request, twilio_openapi)


def test_lookup_lists_messages_with_a_valid_request(
    twilio_gateway: TwilioRestGateway, twilio_standin: TwilioStandIn, twilio_openapi: object
) -> None:
    since = datetime.now(UTC) - timedelta(minutes=1)
    sid = twilio_gateway.send_sms(to=TO, body="Angebot 4711", from_=HOTLINE, status_callback=None)
    twilio_gateway.send_sms(to="+4915199999999", body="Angebot 4711", from_=HOTLINE, status_callback=None)

    assert twilio_gateway.find_recent_sms(to=TO, body="Angebot 4711", since=since) == sid
    assert twilio_gateway.find_recent_sms(to=TO, body="Angebot 4712", since=since) is None
    assert (
        twilio_gateway.find_recent_sms(to=TO, body="Angebot 4711", since=since + timedelta(hours=1)) is None
    )

    lookups = twilio_standin.message_requests("GET")
    assert lookups and all("To=%2B4915112345678" in r.query for r in lookups)
    for request in twilio_standin.requests:
        assert_accepted_by_twilio_api(request, twilio_openapi)


def test_the_api_check_rejects_invalid_requests(
    twilio_gateway: TwilioRestGateway, twilio_standin: TwilioStandIn, twilio_openapi: object
) -> None:
    twilio_gateway.send_sms(to=TO, body="Hallo", from_=HOTLINE, status_callback=None)
    [good] = twilio_standin.requests
    assert_accepted_by_twilio_api(good, twilio_openapi)

    without_to = dataclasses.replace(good, body=b"From=%2B4951187654321&Body=Hallo")
    with pytest.raises(OpenAPIError, match="'To' is a required property"):
        assert_accepted_by_twilio_api(without_to, twilio_openapi)

    bad_account = dataclasses.replace(good, path="/2010-04-01/Accounts/ACnot-an-account/Messages.json")
    with pytest.raises(OpenAPIError):
        assert_accepted_by_twilio_api(bad_account, twilio_openapi)

    wrong_path = dataclasses.replace(good, path=f"/2010-04-01/Accounts/{TEST_ACCOUNT_SID}/Textmessages.json")
    with pytest.raises(OpenAPIError):
        assert_accepted_by_twilio_api(wrong_path, twilio_openapi)


@pytest.mark.parametrize(("status", "code"), [("500", None), ("429", None)])
def test_server_trouble_is_transient(
    twilio_gateway: TwilioRestGateway, twilio_standin: TwilioStandIn, status: str, code: int | None
) -> None:
    twilio_standin.fail_next(status, retry_after=30)
    with pytest.raises(SendError) as raised:
        twilio_gateway.send_sms(to=TO, body="Hallo", from_=HOTLINE, status_callback=None)
    assert raised.value.transient
    if status == "429":
        assert raised.value.retry_after == 30.0
    assert twilio_standin.messages == []


@pytest.mark.parametrize("code", [21211, 21610, 21614])
def test_rejected_numbers_are_permanent(
    twilio_gateway: TwilioRestGateway, twilio_standin: TwilioStandIn, code: int
) -> None:
    twilio_standin.fail_next("error", code=code)
    with pytest.raises(SendError) as raised:
        twilio_gateway.send_sms(to=TO, body="Hallo", from_=HOTLINE, status_callback=None)
    assert not raised.value.transient
    assert raised.value.code == code


def test_timeout_is_transient(twilio_gateway: TwilioRestGateway, twilio_standin: TwilioStandIn) -> None:
    twilio_standin.fail_next("hang", seconds=3)
    with pytest.raises(SendError, match="in time") as raised:
        twilio_gateway.send_sms(to=TO, body="Hallo", from_=HOTLINE, status_callback=None)
    assert raised.value.transient


def test_connection_refused_is_transient(twilio_standin: TwilioStandIn) -> None:
    base = twilio_standin.base_url
    twilio_standin.stop()
    gateway = TwilioRestGateway.create(
        account_sid=TEST_ACCOUNT_SID, auth_token=TEST_AUTH_TOKEN, api_base=base, timeout=0.5
    )
    with pytest.raises(SendError, match="cannot reach") as raised:
        gateway.send_sms(to=TO, body="Hallo", from_=HOTLINE, status_callback=None)
    assert raised.value.transient


def test_wrong_credentials_are_permanent(twilio_standin: TwilioStandIn) -> None:
    gateway = TwilioRestGateway.create(
        account_sid=TEST_ACCOUNT_SID, auth_token="wrong", api_base=twilio_standin.base_url, timeout=0.5
    )
    with pytest.raises(SendError) as raised:
        gateway.send_sms(to=TO, body="Hallo", from_=HOTLINE, status_callback=None)
    assert not raised.value.transient
    assert raised.value.code == 20003


def test_no_sender_is_refused_before_any_request(
    twilio_gateway: TwilioRestGateway, twilio_standin: TwilioStandIn
) -> None:
    with pytest.raises(SendError, match="HOTLINE_NUMBER") as raised:
        twilio_gateway.send_sms(to=TO, body="Hallo", from_=None, status_callback=None)
    assert not raised.value.transient
    assert twilio_standin.requests == []


def test_without_api_base_requests_go_to_twilio() -> None:
    gateway = TwilioRestGateway.create(account_sid=TEST_ACCOUNT_SID, auth_token=TEST_AUTH_TOKEN)
    url = gateway.client.api.base_url + "/2010-04-01/Accounts/AC1/Messages.json"
    assert url.startswith("https://api.twilio.com/")
    assert gateway.http_client.rewrite_url(url) == url
