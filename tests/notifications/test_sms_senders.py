"""The SMS senders against the providers' documented requests and answers, over a mocked transport (respx):
Africa's Talking (developers.africastalking.com/docs/sms/sending/bulk, docs.africastalking.com/sms/sending), Twilio
(twilio.com/docs/messaging/api/message-resource, twilio.com/docs/usage/twilios-response) and the sandbox."""

import base64
import logging
from urllib.parse import parse_qsl

import httpx
import pytest
import respx

from notifications.senders import sandbox
from notifications.senders.africastalking import LIVE_URL, SANDBOX_URL, AfricasTalkingSms
from notifications.senders.base import OutgoingSms, SendFailed, SendResult
from notifications.senders.sandbox import SENT, SandboxSms
from notifications.senders.twilio import TwilioSms

MESSAGE = OutgoingSms(to="+254711000111", text="Your contribution of KES 500 to Umoja Chama was received.")


def form(request: httpx.Request) -> dict[str, str]:
    return dict(parse_qsl(request.content.decode(), keep_blank_values=True))


@pytest.fixture
def router():
    with respx.mock(assert_all_called=False) as mocked:
        yield mocked


# --- Africa's Talking ----------------------------------------------------------------------------------------------


def at_answer(status_code: int, status: str, message_id: str = "ATXid_d4c8b2c1e7f04b1a", cost: str = "KES 0.8000"):
    """A send answer in the documented shape (docs example: statusCode 101, "Success", "KES 0.8000")."""
    sent = 1 if status_code in (100, 101, 102) else 0
    return {
        "SMSMessageData": {
            "Message": f"Sent to {sent}/1 Total Cost: {cost if sent else '0'}",
            "Recipients": [
                {
                    "statusCode": status_code,
                    "number": MESSAGE.to,
                    "status": status,
                    "cost": cost if sent else "0",
                    "messageId": message_id if sent else "None",
                }
            ],
        }
    }


@pytest.fixture
def africastalking():
    return AfricasTalkingSms(username="pamoja", api_key="atsk_live_key", sender_id="PAMOJA")


def test_at_sends_the_documented_form_with_the_api_key_header(router, africastalking):
    route = router.post(LIVE_URL).respond(201, json=at_answer(101, "Success"))

    result = africastalking.send(MESSAGE)

    assert result == SendResult(provider_id="ATXid_d4c8b2c1e7f04b1a")
    request = route.calls.last.request
    assert request.headers["apiKey"] == "atsk_live_key"
    assert request.headers["Accept"] == "application/json"
    assert request.headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert form(request) == {"username": "pamoja", "to": MESSAGE.to, "message": MESSAGE.text, "from": "PAMOJA"}


def test_at_sandbox_username_goes_to_the_sandbox_host_and_no_sender_id_sends_no_from(router):
    route = router.post(SANDBOX_URL).respond(201, json=at_answer(101, "Success"))

    AfricasTalkingSms(username="sandbox", api_key="atsk_sandbox").send(MESSAGE)

    assert str(route.calls.last.request.url) == "https://api.sandbox.africastalking.com/version1/messaging"
    assert "from" not in form(route.calls.last.request)


def test_at_uses_an_injected_client_and_has_a_timeout_by_default(router):
    route = router.post(LIVE_URL).respond(201, json=at_answer(101, "Success"))
    client = httpx.Client(headers={"User-Agent": "pamoja-test"})

    AfricasTalkingSms("pamoja", "key", client=client).send(MESSAGE)

    assert route.calls.last.request.headers["User-Agent"] == "pamoja-test"
    assert AfricasTalkingSms("pamoja", "key").client.timeout.read is not None


def test_at_reads_the_documented_example_answer(router, africastalking):
    router.post(LIVE_URL).respond(
        201,
        json={
            "SMSMessageData": {
                "Message": "Sent to 1/1 Total Cost: KES 0.8000",
                "Recipients": [
                    {
                        "statusCode": 101,
                        "number": "+254711XXXYYY",
                        "status": "Success",
                        "cost": "KES 0.8000",
                        "messageId": "ATPid_SampleTxnId123",
                    }
                ],
            }
        },
    )
    assert africastalking.send(MESSAGE).provider_id == "ATPid_SampleTxnId123"


@pytest.mark.parametrize(("status_code", "status"), [(100, "Processed"), (101, "Success"), (102, "Queued")])
def test_at_processed_sent_and_queued_are_taken(router, africastalking, status_code, status):
    router.post(LIVE_URL).respond(201, json=at_answer(status_code, status, message_id=f"ATXid_{status_code}"))
    assert africastalking.send(MESSAGE).provider_id == f"ATXid_{status_code}"


def test_at_reads_a_status_code_sent_as_a_string(router, africastalking):
    answer = at_answer(101, "Success")
    answer["SMSMessageData"]["Recipients"][0]["statusCode"] = "101"
    router.post(LIVE_URL).respond(201, json=answer)
    assert africastalking.send(MESSAGE).provider_id == "ATXid_d4c8b2c1e7f04b1a"


@pytest.mark.parametrize(
    ("status_code", "status", "retryable"),
    [
        pytest.param(401, "RiskHold", False, id="401-risk-hold"),
        pytest.param(402, "InvalidSenderId", False, id="402-invalid-sender-id"),
        pytest.param(403, "InvalidPhoneNumber", False, id="403-invalid-phone-number"),
        pytest.param(404, "UnsupportedNumberType", False, id="404-unsupported-number-type"),
        pytest.param(405, "InsufficientBalance", True, id="405-insufficient-balance"),
        pytest.param(406, "UserInBlacklist", False, id="406-user-in-blacklist"),
        pytest.param(407, "CouldNotRoute", False, id="407-could-not-route"),
        pytest.param(409, "DoNotDisturbRejection", True, id="409-do-not-disturb"),
        pytest.param(500, "InternalServerError", True, id="500-internal-server-error"),
        pytest.param(501, "GatewayError", True, id="501-gateway-error"),
        pytest.param(502, "RejectedByGateway", False, id="502-rejected-by-gateway"),
    ],
)
def test_at_each_documented_failure_code_maps_to_its_retryability(
    router, africastalking, status_code, status, retryable
):
    router.post(LIVE_URL).respond(201, json=at_answer(status_code, status))

    with pytest.raises(SendFailed) as failure:
        africastalking.send(MESSAGE)

    assert failure.value.retryable is retryable
    assert status in str(failure.value)
    assert str(status_code) in str(failure.value)


def test_at_do_not_disturb_comes_with_http_409_and_its_body_is_read(router, africastalking):
    """The documented Nigerian DND answer: HTTP 409 with the usual body."""
    router.post(LIVE_URL).respond(
        409,
        json={
            "SMSMessageData": {
                "Message": "Sent to 0/1 Total Cost: 0",
                "Recipients": [
                    {
                        "cost": "0",
                        "messageId": "None",
                        "number": "+2348XXXXXXX",
                        "status": "DoNotDisturbRejection",
                        "statusCode": 409,
                    }
                ],
            }
        },
    )
    with pytest.raises(SendFailed, match="DoNotDisturbRejection") as failure:
        africastalking.send(MESSAGE)
    assert failure.value.retryable is True


def test_at_an_undocumented_status_code_is_not_retried_unless_it_is_a_5xx(router, africastalking):
    router.post(LIVE_URL).respond(201, json=at_answer(408, "SomethingNew"))
    with pytest.raises(SendFailed, match="SomethingNew") as failure:
        africastalking.send(MESSAGE)
    assert failure.value.retryable is False

    router.post(LIVE_URL).respond(201, json=at_answer(503, "SomethingElse"))
    with pytest.raises(SendFailed) as failure:
        africastalking.send(MESSAGE)
    assert failure.value.retryable is True


@pytest.mark.parametrize(
    ("summary", "retryable"),
    [("InvalidSenderId", False), ("InvalidPhoneNumber", False), ("InsufficientBalance", True), ("Whatever", False)],
)
def test_at_no_recipients_reads_the_summary(router, africastalking, summary, retryable):
    router.post(LIVE_URL).respond(201, json={"SMSMessageData": {"Message": summary, "Recipients": []}})
    with pytest.raises(SendFailed, match=summary) as failure:
        africastalking.send(MESSAGE)
    assert failure.value.retryable is retryable


def test_at_http_401_is_a_bad_api_key_and_not_retried(router, africastalking):
    router.post(LIVE_URL).respond(401, text="The supplied authentication is invalid")
    with pytest.raises(SendFailed, match="credentials") as failure:
        africastalking.send(MESSAGE)
    assert failure.value.retryable is False


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_at_http_5xx_is_retried(router, africastalking, status):
    router.post(LIVE_URL).respond(status, text="<html>Bad gateway</html>")
    with pytest.raises(SendFailed) as failure:
        africastalking.send(MESSAGE)
    assert failure.value.retryable is True


def test_at_http_400_without_the_usual_body_is_not_retried(router, africastalking):
    router.post(LIVE_URL).respond(400, text="Request is missing required form field 'to'")
    with pytest.raises(SendFailed, match="missing required form field") as failure:
        africastalking.send(MESSAGE)
    assert failure.value.retryable is False


def test_at_an_unreadable_2xx_is_retried(router, africastalking):
    router.post(LIVE_URL).respond(201, text="<AfricasTalkingResponse/>")
    with pytest.raises(SendFailed, match="cannot read") as failure:
        africastalking.send(MESSAGE)
    assert failure.value.retryable is True


@pytest.mark.parametrize(
    ("error", "says"),
    [
        (httpx.ReadTimeout("The read operation timed out"), "in time"),
        (httpx.ConnectTimeout("connect timed out"), "in time"),
        (httpx.ConnectError("Name or service not known"), "could not be reached"),
    ],
)
def test_at_timeouts_and_transport_errors_are_retried(router, africastalking, error, says):
    router.post(LIVE_URL).mock(side_effect=error)
    with pytest.raises(SendFailed, match=says) as failure:
        africastalking.send(MESSAGE)
    assert failure.value.retryable is True


# --- Twilio --------------------------------------------------------------------------------------------------------

ACCOUNT_SID = "AC3f8e5a1c2b4d6e8f0a1b2c3d4e5f6a7b"
AUTH_TOKEN = "f2a9c8e7d6b5a4f3e2d1c0b9a8f7e6d5"
MESSAGES_URL = f"https://api.twilio.com/2010-04-01/Accounts/{ACCOUNT_SID}/Messages.json"
MESSAGE_SID = "SM1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d"


def twilio_created(**overrides) -> dict:
    """The Message resource a create answers with 201 (the documented shape)."""
    body = {
        "account_sid": ACCOUNT_SID,
        "api_version": "2010-04-01",
        "body": MESSAGE.text,
        "date_created": "Thu, 24 Aug 2023 05:01:45 +0000",
        "date_sent": None,
        "date_updated": "Thu, 24 Aug 2023 05:01:45 +0000",
        "direction": "outbound-api",
        "error_code": None,
        "error_message": None,
        "from": "+15557122661",
        "messaging_service_sid": None,
        "num_media": "0",
        "num_segments": "1",
        "price": None,
        "price_unit": "USD",
        "sid": MESSAGE_SID,
        "status": "queued",
        "subresource_uris": {"media": f"/2010-04-01/Accounts/{ACCOUNT_SID}/Messages/{MESSAGE_SID}/Media.json"},
        "to": MESSAGE.to,
        "uri": f"/2010-04-01/Accounts/{ACCOUNT_SID}/Messages/{MESSAGE_SID}.json",
    }
    return {**body, **overrides}


def twilio_error(code: int, message: str, status: int) -> dict:
    return {
        "code": code,
        "message": message,
        "more_info": f"https://www.twilio.com/docs/errors/{code}",
        "status": status,
    }


@pytest.fixture
def twilio():
    return TwilioSms(ACCOUNT_SID, AUTH_TOKEN, from_number="+15557122661")


def test_twilio_sends_the_documented_form_with_basic_auth(router, twilio):
    route = router.post(MESSAGES_URL).respond(201, json=twilio_created())

    result = twilio.send(MESSAGE)

    assert result == SendResult(provider_id=MESSAGE_SID)
    request = route.calls.last.request
    assert str(request.url) == MESSAGES_URL
    expected = base64.b64encode(f"{ACCOUNT_SID}:{AUTH_TOKEN}".encode()).decode()
    assert request.headers["Authorization"] == f"Basic {expected}"
    assert request.headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert form(request) == {"To": MESSAGE.to, "Body": MESSAGE.text, "From": "+15557122661"}


def test_twilio_with_a_messaging_service_sends_its_sid_instead_of_from(router):
    route = router.post(MESSAGES_URL).respond(
        201, json=twilio_created(status="accepted", messaging_service_sid="MG9752274e9e519418a7406176694466fa")
    )

    TwilioSms(ACCOUNT_SID, AUTH_TOKEN, messaging_service_sid="MG9752274e9e519418a7406176694466fa").send(MESSAGE)

    assert form(route.calls.last.request) == {
        "To": MESSAGE.to,
        "Body": MESSAGE.text,
        "MessagingServiceSid": "MG9752274e9e519418a7406176694466fa",
    }


def test_twilio_needs_something_to_send_from():
    with pytest.raises(ValueError, match="from_number or a messaging_service_sid"):
        TwilioSms(ACCOUNT_SID, AUTH_TOKEN)


@pytest.mark.parametrize(
    ("code", "message"),
    [
        (21211, "The 'To' number 5551234567 is not a valid phone number."),
        (21610, "Attempt to send to unsubscribed recipient"),
        (21614, "'To' number is not a valid mobile number"),
        (21408, "Permission to send an SMS has not been enabled for the region indicated by the 'To' number"),
    ],
)
def test_twilio_400_refusals_are_not_retried(router, twilio, code, message):
    router.post(MESSAGES_URL).respond(400, json=twilio_error(code, message, 400))
    with pytest.raises(SendFailed) as failure:
        twilio.send(MESSAGE)
    assert failure.value.retryable is False
    assert message in str(failure.value)
    assert str(code) in str(failure.value)


def test_twilio_401_is_our_credentials_and_not_retried(router, twilio):
    router.post(MESSAGES_URL).respond(401, json=twilio_error(20003, "Authenticate", 401))
    with pytest.raises(SendFailed, match="credentials") as failure:
        twilio.send(MESSAGE)
    assert failure.value.retryable is False


def test_twilio_429_is_retried(router, twilio):
    router.post(MESSAGES_URL).respond(429, json=twilio_error(20429, "Too Many Requests", 429))
    with pytest.raises(SendFailed, match="20429") as failure:
        twilio.send(MESSAGE)
    assert failure.value.retryable is True


@pytest.mark.parametrize(
    "response",
    [
        httpx.Response(500, json=twilio_error(20500, "Internal Server Error", 500)),
        httpx.Response(503, text="Service Unavailable"),
    ],
)
def test_twilio_5xx_is_retried(router, twilio, response):
    router.post(MESSAGES_URL).mock(return_value=response)
    with pytest.raises(SendFailed) as failure:
        twilio.send(MESSAGE)
    assert failure.value.retryable is True


def test_twilio_a_created_answer_without_a_sid_is_retried(router, twilio):
    router.post(MESSAGES_URL).respond(201, text="")
    with pytest.raises(SendFailed, match="without a message sid") as failure:
        twilio.send(MESSAGE)
    assert failure.value.retryable is True


@pytest.mark.parametrize(
    "error", [httpx.ReadTimeout("The read operation timed out"), httpx.ConnectError("Connection refused")]
)
def test_twilio_timeouts_and_transport_errors_are_retried(router, twilio, error):
    router.post(MESSAGES_URL).mock(side_effect=error)
    with pytest.raises(SendFailed) as failure:
        twilio.send(MESSAGE)
    assert failure.value.retryable is True


# --- Sandbox -------------------------------------------------------------------------------------------------------


@pytest.fixture
def sent():
    SENT.clear()
    yield SENT
    SENT.clear()


def test_sandbox_sms_sends_nothing_logs_and_keeps_the_message(router, sent, caplog):
    caplog.set_level(logging.INFO, logger="pamoja.notifications")

    result = SandboxSms().send(MESSAGE)

    assert result.provider_id.startswith("sandbox-")
    assert len(result.provider_id) == len("sandbox-") + 32
    assert list(sent) == [MESSAGE]
    assert not router.calls  # no HTTP at all
    [record] = [r for r in caplog.records if r.name == "pamoja.notifications"]
    assert record.levelno == logging.INFO
    assert MESSAGE.to in record.getMessage()
    assert MESSAGE.text in record.getMessage()
    assert result.provider_id in record.getMessage()


def test_sandbox_sms_ids_are_unique(sent):
    assert SandboxSms().send(MESSAGE) != SandboxSms().send(MESSAGE)


def test_sandbox_sms_to_a_number_ending_in_0000_fails_retryably(sent):
    with pytest.raises(SendFailed) as failure:
        SandboxSms().send(OutgoingSms(to="+254700000000", text="hello"))
    assert failure.value.retryable is True
    assert not sent


def test_sandbox_keeps_only_the_last_500(sent):
    for number in range(501):
        SandboxSms().send(OutgoingSms(to=f"+2547110{number:05d}1", text=str(number)))
    assert len(sent) == 500
    assert sent[0].text == "1"
    assert sent[-1].text == "500"
    assert sandbox.SENT is sent
