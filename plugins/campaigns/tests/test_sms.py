"""The SMS channel: Twilio over HTTPS (recorded HTTP client, no network) and its signed status callbacks."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from django.conf import settings
from django_scopes import scope
from eventyay_campaigns import channels_sms
from eventyay_campaigns.channels import ChannelError, RenderedMessage, channels_all
from eventyay_campaigns.models import Message, MessageEvent, SmsSettings
from rest_framework.test import APIClient

from eventyay.base.secrets import secret_encrypt
from eventyay.base.services.http import OutgoingResponse

pytestmark = pytest.mark.django_db

SID = "AC0123456789abcdef0123456789abcdef"
TOKEN = "twilio_auth_token_1234"
STATUS_PATH = "/campaigns/example/sms/twilio/status/"


class RecordedHttp:
    """Stands in for the core's outgoing HTTP client: records requests, plays recorded answers."""

    def __init__(self, *answers: tuple[int, dict[str, Any]]) -> None:
        self.answers = list(answers)
        self.requests: list[dict[str, Any]] = []

    def __call__(self, method: str, url: str, **kwargs: Any) -> OutgoingResponse:
        self.requests.append({"method": method, "url": url, **kwargs})
        status, body = self.answers.pop(0)
        return OutgoingResponse(
            status=status, headers={}, body=json.dumps(body).encode(), truncated=False, url=url
        )


@pytest.fixture
def twilio(organizer: Any) -> SmsSettings:
    with scope(organizer=organizer):
        return channels_sms.sms_settings_save(
            organizer=organizer,
            data={
                "backend": "twilio",
                "account_sid": SID,
                "auth_token": secret_encrypt(TOKEN),
                "sender": "+15005550006",
            },
        )


@pytest.fixture
def sms_message(organizer: Any, make_contact: Any) -> Message:
    contact = make_contact("ann@example.org", phone="+4915112345678", sms_consent=True)
    with scope(organizer=organizer):
        return Message.objects.create(
            organizer=organizer, contact=contact, channel="sms", recipient=contact.phone
        )


def test_the_sms_channel_is_registered() -> None:
    channel = channels_all()["sms"]
    assert channel.consent_field == "sms_consent" and not channel.has_subject


def test_twilio_send_posts_to_the_messages_api(
    organizer: Any, twilio: Any, sms_message: Message, monkeypatch: pytest.MonkeyPatch
) -> None:
    recorded = RecordedHttp((201, {"sid": "SM123", "status": "queued"}))
    monkeypatch.setattr(channels_sms.http, "outgoing_request", recorded)
    with scope(organizer=organizer):
        sid = channels_sms.SmsChannel().send(sms_message, RenderedMessage(subject="", text="Hello Ann"))
    assert sid == "SM123"
    (request,) = recorded.requests
    assert request["method"] == "POST"
    assert request["url"] == f"https://api.twilio.com/2010-04-01/Accounts/{SID}/Messages.json"
    assert (
        request["headers"]["Authorization"] == "Basic " + base64.b64encode(f"{SID}:{TOKEN}".encode()).decode()
    )
    assert request["data"] == {
        "To": "+4915112345678",
        "From": "+15005550006",
        "Body": "Hello Ann",
        "StatusCallback": settings.SITE_URL + STATUS_PATH,
    }


@pytest.mark.parametrize(("status", "transient"), [(400, False), (429, True), (503, True)])
def test_twilio_errors_say_whether_to_retry(
    organizer: Any,
    twilio: Any,
    sms_message: Message,
    monkeypatch: pytest.MonkeyPatch,
    status: int,
    transient: bool,
) -> None:
    recorded = RecordedHttp((status, {"code": 21211, "message": "Invalid 'To' Phone Number"}))
    monkeypatch.setattr(channels_sms.http, "outgoing_request", recorded)
    with scope(organizer=organizer), pytest.raises(ChannelError) as caught:
        channels_sms.SmsChannel().send(sms_message, RenderedMessage(subject="", text="x"))
    assert caught.value.transient is transient and str(status) in str(caught.value)


def test_twilio_without_credentials_is_a_final_error(organizer: Any, sms_message: Message) -> None:
    with scope(organizer=organizer):
        SmsSettings.objects.create(organizer=organizer, backend="twilio")
        with pytest.raises(ChannelError) as caught:
            channels_sms.SmsChannel().send(sms_message, RenderedMessage(subject="", text="x"))
    assert caught.value.transient is False


def _signed(params: dict[str, str], token: str = TOKEN) -> str:
    return channels_sms.twilio_signature(token, settings.SITE_URL + STATUS_PATH, params)


def test_twilio_signature_covers_the_url_and_the_sorted_parameters() -> None:
    import hashlib
    import hmac

    payload = "https://example.com/status?x=1" + "AccountSidAC1" + "MessageSidSM1" + "MessageStatusdelivered"
    expected = base64.b64encode(hmac.new(b"12345", payload.encode(), hashlib.sha1).digest()).decode()
    params = {"MessageStatus": "delivered", "MessageSid": "SM1", "AccountSid": "AC1"}
    assert channels_sms.twilio_signature("12345", "https://example.com/status?x=1", params) == expected


def test_status_callbacks_record_delivery_and_failure(
    organizer: Any, twilio: Any, sms_message: Message
) -> None:
    with scope(organizer=organizer):
        Message.objects.filter(pk=sms_message.pk).update(provider_id="SM123", status="sent")
    client = APIClient()
    delivered = {"MessageSid": "SM123", "MessageStatus": "delivered"}
    for _ in range(2):
        response = client.post(STATUS_PATH, delivered, HTTP_X_TWILIO_SIGNATURE=_signed(delivered))
        assert response.status_code == 204
    failed = {"MessageSid": "SM123", "MessageStatus": "undelivered", "ErrorCode": "30003"}
    assert client.post(STATUS_PATH, failed, HTTP_X_TWILIO_SIGNATURE=_signed(failed)).status_code == 204
    with scope(organizer=organizer):
        kinds = list(MessageEvent.objects.filter(message=sms_message).values_list("kind", flat=True))
        message = Message.objects.get(pk=sms_message.pk)
    assert sorted(kinds) == ["bounced", "delivered"]
    assert message.status == "failed" and "30003" in message.error


def test_status_callbacks_with_a_wrong_signature_are_refused(
    organizer: Any, twilio: Any, sms_message: Message
) -> None:
    with scope(organizer=organizer):
        Message.objects.filter(pk=sms_message.pk).update(provider_id="SM123")
    client = APIClient()
    params = {"MessageSid": "SM123", "MessageStatus": "delivered"}
    for signature in (
        "",
        _signed(params, token="another_token_5678"),
        _signed({**params, "MessageStatus": "failed"}),
    ):
        assert client.post(STATUS_PATH, params, HTTP_X_TWILIO_SIGNATURE=signature).status_code == 403
    with scope(organizer=organizer):
        assert not MessageEvent.objects.exists()


def test_another_organizers_callback_cannot_touch_our_messages(
    organizer: Any, other_organizer: Any, twilio: Any, sms_message: Message
) -> None:
    with scope(organizer=other_organizer):
        channels_sms.sms_settings_save(
            organizer=other_organizer,
            data={
                "backend": "twilio",
                "account_sid": SID,
                "auth_token": secret_encrypt("theirs_token_99"),
                "sender": "+1",
            },
        )
    with scope(organizer=organizer):
        Message.objects.filter(pk=sms_message.pk).update(provider_id="SM123")
    params = {"MessageSid": "SM123", "MessageStatus": "delivered"}
    path = "/campaigns/other/sms/twilio/status/"
    signature = channels_sms.twilio_signature("theirs_token_99", settings.SITE_URL + path, params)
    assert APIClient().post(path, params, HTTP_X_TWILIO_SIGNATURE=signature).status_code == 204
    with scope(organizer=organizer):
        assert not MessageEvent.objects.exists()


def test_sms_consent_is_an_api_field_with_source_and_time(api_client: Any, crm_event: Any) -> None:
    response = api_client.post(
        "/api/v1/organizers/example/contacts/",
        {"email": "ann@example.org", "phone": "+49151", "sms_consent": True},
        format="json",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["sms_consent"] is True and body["sms_consent_source"] == "api" and body["sms_consent_at"]


def test_settings_page_keeps_the_token_write_only(
    organizer: Any, client_for: Any, user: Any, twilio: Any, other_organizer: Any
) -> None:
    client = client_for(user)
    url = "/control/organizer/example/automation/sms/"
    page = client.get(url).content.decode()
    assert TOKEN not in page and "…1234" in page
    response = client.post(
        url, {"backend": "twilio", "account_sid": SID, "auth_token": "", "sender": "+1555"}
    )
    assert response.status_code == 302
    with scope(organizer=organizer):
        stored = SmsSettings.objects.get(organizer=organizer)
    assert stored.sender == "+1555" and channels_sms._auth_token(stored) == TOKEN
    assert client_for(other_organizer.member).get(url).status_code == 404
