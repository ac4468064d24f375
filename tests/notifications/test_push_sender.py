"""The FCM HTTP v1 sender against Firebase's documented request, answer and error payloads
(firebase.google.com/docs/reference/fcm/rest/v1/projects.messages/send, .../ErrorCode,
firebase.google.com/docs/cloud-messaging/manage-tokens) and Google's service-account JWT grant
(developers.google.com/identity/protocols/oauth2/service-account), over a mocked transport (respx); and the push
sandbox."""

import json
import logging
from itertools import count
from urllib.parse import parse_qsl

import httpx
import jwt
import pytest
import respx
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from notifications.senders import fcm
from notifications.senders.base import DeviceUnregistered, OutgoingPush, SendFailed, SendResult
from notifications.senders.fcm import FcmPush
from notifications.senders.sandbox import SENT, SandboxPush

PROJECT_ID = "pamoja-b5ae1"
SEND_URL = f"https://fcm.googleapis.com/v1/projects/{PROJECT_ID}/messages:send"
TOKEN_URI = "https://oauth2.googleapis.com/token"
CLIENT_EMAIL = "firebase-adminsdk-x1y2z@pamoja-b5ae1.iam.gserviceaccount.com"
DEVICE_TOKEN = "bk3RNwTe3H0:CI2k_HHwgIpoDKCIZvvDMExUdFQ3P1..."
FCM_ERROR_TYPE = "type.googleapis.com/google.firebase.fcm.v1.FcmError"
MESSAGE_NAME = f"projects/{PROJECT_ID}/messages/0:1500415314455276%31bd1c9631bd1c96"
PUSH = OutgoingPush(
    token=DEVICE_TOKEN,
    title="Contribution received",
    body="KES 500 from Wanjiru to Umoja Chama.",
    link="/groups/12/cycles/3",
    data={"group_id": "12", "kind": "contribution"},
)


@pytest.fixture(scope="module")
def rsa_key() -> rsa.RSAPrivateKey:
    """A throwaway key for this test module only."""
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture
def public_pem(rsa_key) -> bytes:
    return rsa_key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


@pytest.fixture
def service_account(rsa_key) -> dict:
    """The fields of a downloaded service-account JSON file that matter here."""
    private_pem = rsa_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    return {
        "type": "service_account",
        "project_id": PROJECT_ID,
        "private_key_id": "4f3c2b1a0e9d8c7b6a5f4e3d2c1b0a9f8e7d6c5b",
        "private_key": private_pem,
        "client_email": CLIENT_EMAIL,
        "client_id": "109876543210987654321",
        "auth_uri": "https://accounts.google.com/o/oauth2/auth",
        "token_uri": TOKEN_URI,
    }


@pytest.fixture(autouse=True)
def _no_cached_tokens():
    fcm.clear_token_cache()
    yield
    fcm.clear_token_cache()


@pytest.fixture
def router():
    with respx.mock(assert_all_called=False) as mocked:
        yield mocked


@pytest.fixture
def token_route(router):
    """Google's token endpoint, handing out a new access token each time (the documented answer's shape)."""
    issued = count(1)
    return router.post(TOKEN_URI).mock(
        side_effect=lambda request: httpx.Response(
            200, json={"access_token": f"ya29.token-{next(issued)}", "expires_in": 3599, "token_type": "Bearer"}
        )
    )


@pytest.fixture
def sender(service_account):
    return FcmPush(PROJECT_ID, service_account)


def fcm_error(code: int, status: str, message: str, error_code: str | None = None, details: list | None = None):
    """An error answer in the documented shape: canonical status on top, FCM's errorCode in details."""
    if details is None:
        details = [{"@type": FCM_ERROR_TYPE, "errorCode": error_code}] if error_code else []
    return {"error": {"code": code, "message": message, "status": status, "details": details}}


# --- the request ---------------------------------------------------------------------------------------------------


def test_send_posts_the_v1_message_with_a_bearer_token(router, token_route, sender):
    route = router.post(SEND_URL).respond(200, json={"name": MESSAGE_NAME})

    result = sender.send(PUSH)

    assert result == SendResult(provider_id=MESSAGE_NAME)
    request = route.calls.last.request
    assert str(request.url) == "https://fcm.googleapis.com/v1/projects/pamoja-b5ae1/messages:send"
    assert request.headers["Authorization"] == "Bearer ya29.token-1"
    assert request.headers["Content-Type"] == "application/json"
    assert json.loads(request.content) == {
        "message": {
            "token": DEVICE_TOKEN,
            "notification": {"title": "Contribution received", "body": "KES 500 from Wanjiru to Umoja Chama."},
            "data": {"group_id": "12", "kind": "contribution", "link": "/groups/12/cycles/3"},
            "android": {"priority": "high"},
        }
    }


def test_data_values_are_sent_as_strings_and_no_data_means_no_data_key(router, token_route, sender):
    route = router.post(SEND_URL).respond(200, json={"name": MESSAGE_NAME})

    sender.send(OutgoingPush(token=DEVICE_TOKEN, title="t", body="b", data={"cycle": 3, "paid": True}))
    assert json.loads(route.calls.last.request.content)["message"]["data"] == {"cycle": "3", "paid": "True"}

    sender.send(OutgoingPush(token=DEVICE_TOKEN, title="t", body="b"))
    assert "data" not in json.loads(route.calls.last.request.content)["message"]


# --- the OAuth token -----------------------------------------------------------------------------------------------


def test_the_token_grant_is_a_jwt_bearer_assertion_signed_with_the_service_account_key(
    router, token_route, sender, public_pem
):
    router.post(SEND_URL).respond(200, json={"name": MESSAGE_NAME})

    sender.send(PUSH)

    request = token_route.calls.last.request
    assert str(request.url) == TOKEN_URI
    assert request.headers["Content-Type"] == "application/x-www-form-urlencoded"
    grant = dict(parse_qsl(request.content.decode()))
    assert set(grant) == {"grant_type", "assertion"}
    assert grant["grant_type"] == "urn:ietf:params:oauth:grant-type:jwt-bearer"
    claims = jwt.decode(grant["assertion"], public_pem, algorithms=["RS256"], audience=TOKEN_URI)
    assert claims["iss"] == CLIENT_EMAIL
    assert claims["scope"] == "https://www.googleapis.com/auth/firebase.messaging"
    assert claims["aud"] == TOKEN_URI
    assert claims["exp"] - claims["iat"] == 3600
    header = jwt.get_unverified_header(grant["assertion"])
    assert header["alg"] == "RS256"
    assert header["kid"] == "4f3c2b1a0e9d8c7b6a5f4e3d2c1b0a9f8e7d6c5b"


def test_the_assertion_does_not_verify_with_another_key(router, token_route, sender):
    router.post(SEND_URL).respond(200, json={"name": MESSAGE_NAME})
    sender.send(PUSH)
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048).public_key()
    assertion = dict(parse_qsl(token_route.calls.last.request.content.decode()))["assertion"]
    with pytest.raises(jwt.InvalidSignatureError):
        jwt.decode(assertion, other, algorithms=["RS256"], audience=TOKEN_URI)


def test_a_service_account_without_token_uri_uses_googles(router, token_route, service_account):
    del service_account["token_uri"]
    router.post(SEND_URL).respond(200, json={"name": MESSAGE_NAME})
    FcmPush(PROJECT_ID, service_account).send(PUSH)
    assert token_route.call_count == 1


def test_two_sends_ask_for_one_token(router, token_route, sender):
    route = router.post(SEND_URL).respond(200, json={"name": MESSAGE_NAME})

    sender.send(PUSH)
    sender.send(PUSH)

    assert token_route.call_count == 1
    assert [call.request.headers["Authorization"] for call in route.calls] == ["Bearer ya29.token-1"] * 2


def test_the_token_is_shared_by_senders_of_the_same_service_account(router, token_route, service_account):
    router.post(SEND_URL).respond(200, json={"name": MESSAGE_NAME})

    FcmPush(PROJECT_ID, service_account).send(PUSH)
    FcmPush(PROJECT_ID, dict(service_account)).send(PUSH)

    assert token_route.call_count == 1


def test_a_token_is_replaced_a_minute_before_it_expires(router, token_route, sender, monkeypatch):
    route = router.post(SEND_URL).respond(200, json={"name": MESSAGE_NAME})
    clock = {"now": 1_700_000_000.0}
    monkeypatch.setattr(fcm, "_now", lambda: clock["now"])

    sender.send(PUSH)
    clock["now"] += 3599 - 61  # expires_in 3599: still more than a minute left
    sender.send(PUSH)
    assert token_route.call_count == 1

    clock["now"] += 2  # now less than a minute left
    sender.send(PUSH)
    assert token_route.call_count == 2
    assert route.calls.last.request.headers["Authorization"] == "Bearer ya29.token-2"


def test_a_401_drops_the_token_gets_a_new_one_and_retries_once(router, token_route, sender):
    route = router.post(SEND_URL).mock(
        side_effect=[
            httpx.Response(
                401,
                json={
                    "error": {
                        "code": 401,
                        "message": "Request had invalid authentication credentials. Expected OAuth 2 access token, "
                        "login cookie or other valid authentication credential.",
                        "status": "UNAUTHENTICATED",
                    }
                },
            ),
            httpx.Response(200, json={"name": MESSAGE_NAME}),
        ]
    )

    assert sender.send(PUSH).provider_id == MESSAGE_NAME

    assert token_route.call_count == 2
    assert [call.request.headers["Authorization"] for call in route.calls] == [
        "Bearer ya29.token-1",
        "Bearer ya29.token-2",
    ]
    route.mock(return_value=httpx.Response(200, json={"name": MESSAGE_NAME}))
    sender.send(PUSH)  # and the new token is the one kept
    assert route.calls.last.request.headers["Authorization"] == "Bearer ya29.token-2"
    assert token_route.call_count == 2


def test_a_second_401_is_not_retried_again(router, token_route, sender):
    route = router.post(SEND_URL).respond(401, json=fcm_error(401, "UNAUTHENTICATED", "Request had invalid creds."))

    with pytest.raises(SendFailed) as failure:
        sender.send(PUSH)

    assert failure.value.retryable is False
    assert route.call_count == 2
    assert token_route.call_count == 2


def test_a_401_third_party_auth_error_is_the_apns_key_not_our_token(router, token_route, sender):
    """The ErrorCode reference gives THIRD_PARTY_AUTH_ERROR as HTTP 401: a new access token would not help."""
    route = router.post(SEND_URL).respond(
        401,
        json=fcm_error(401, "UNAUTHENTICATED", "Auth error from APNS or Web Push Service", "THIRD_PARTY_AUTH_ERROR"),
    )
    with pytest.raises(SendFailed, match="THIRD_PARTY_AUTH_ERROR") as failure:
        sender.send(PUSH)
    assert failure.value.retryable is False
    assert route.call_count == 1
    assert token_route.call_count == 1


def test_a_refused_grant_is_not_retried_and_nothing_is_sent(router, sender):
    router.post(TOKEN_URI).respond(400, json={"error": "invalid_grant", "error_description": "Invalid JWT Signature."})
    route = router.post(SEND_URL).respond(200, json={"name": MESSAGE_NAME})

    with pytest.raises(SendFailed, match="Invalid JWT Signature") as failure:
        sender.send(PUSH)

    assert failure.value.retryable is False
    assert not route.called


@pytest.mark.parametrize(
    "outcome",
    [httpx.ReadTimeout("timed out"), httpx.ConnectError("unreachable"), httpx.Response(503, text="unavailable")],
)
def test_a_token_endpoint_outage_is_retried(router, sender, outcome):
    router.post(TOKEN_URI).mock(side_effect=[outcome])
    with pytest.raises(SendFailed) as failure:
        sender.send(PUSH)
    assert failure.value.retryable is True


def test_a_private_key_that_cannot_sign_is_not_retried(router, service_account):
    service_account["private_key"] = "-----BEGIN PRIVATE KEY-----\nnot a key\n-----END PRIVATE KEY-----\n"
    with pytest.raises(SendFailed, match="private_key") as failure:
        FcmPush(PROJECT_ID, service_account).send(PUSH)
    assert failure.value.retryable is False


def test_a_service_account_needs_its_email_and_key(service_account):
    del service_account["private_key"]
    with pytest.raises(ValueError, match="private_key"):
        FcmPush(PROJECT_ID, service_account)


# --- errors --------------------------------------------------------------------------------------------------------


def test_unregistered_404_is_device_unregistered(router, token_route, sender):
    """The answer FCM gives for an uninstalled app or a token expired after 270 days."""
    router.post(SEND_URL).respond(
        404,
        json={
            "error": {
                "code": 404,
                "message": "Requested entity was not found.",
                "status": "NOT_FOUND",
                "details": [
                    {"@type": "type.googleapis.com/google.firebase.fcm.v1.FcmError", "errorCode": "UNREGISTERED"}
                ],
            }
        },
    )
    with pytest.raises(DeviceUnregistered, match="UNREGISTERED") as failure:
        sender.send(PUSH)
    assert failure.value.retryable is False


def test_not_found_without_details_is_device_unregistered(router, token_route, sender):
    router.post(SEND_URL).respond(
        404, json={"error": {"code": 404, "message": "Requested entity was not found.", "status": "NOT_FOUND"}}
    )
    with pytest.raises(DeviceUnregistered):
        sender.send(PUSH)


def test_the_documented_invalid_registration_token_answer_is_device_unregistered(router, token_route, sender):
    """The ErrorCode page's example 2: INVALID_ARGUMENT for the token itself."""
    router.post(SEND_URL).respond(
        400,
        json={
            "error": {
                "code": 400,
                "message": "The registration token is not a valid FCM registration token",
                "status": "INVALID_ARGUMENT",
                "details": [
                    {"@type": "type.googleapis.com/google.firebase.fcm.v1.FcmError", "errorCode": "INVALID_ARGUMENT"}
                ],
            }
        },
    )
    with pytest.raises(DeviceUnregistered, match="not a valid registration token"):
        sender.send(PUSH)


def test_a_field_violation_on_the_token_is_device_unregistered(router, token_route, sender):
    router.post(SEND_URL).respond(
        400,
        json=fcm_error(
            400,
            "INVALID_ARGUMENT",
            "Invalid value at 'message.token'",
            details=[
                {
                    "@type": "type.googleapis.com/google.rpc.BadRequest",
                    "fieldViolations": [{"field": "message.token", "description": "Invalid registration token"}],
                }
            ],
        ),
    )
    with pytest.raises(DeviceUnregistered):
        sender.send(PUSH)


def test_an_invalid_argument_about_the_payload_is_not_the_device(router, token_route, sender):
    """The ErrorCode page's example 1: a bad data value is our message's fault; the device record stays."""
    router.post(SEND_URL).respond(
        400,
        json={
            "error": {
                "code": 400,
                "message": "Invalid value at 'message.data[0].value' (TYPE_STRING), 12",
                "status": "INVALID_ARGUMENT",
                "details": [
                    {
                        "@type": "type.googleapis.com/google.rpc.BadRequest",
                        "fieldViolations": [
                            {
                                "field": "message.data[0].value",
                                "description": "Invalid value at 'message.data[0].value' (TYPE_STRING), 12",
                            }
                        ],
                    }
                ],
            }
        },
    )
    with pytest.raises(SendFailed) as failure:
        sender.send(PUSH)
    assert not isinstance(failure.value, DeviceUnregistered)
    assert failure.value.retryable is False


@pytest.mark.parametrize(
    ("status", "canonical", "error_code"),
    [
        (429, "RESOURCE_EXHAUSTED", "QUOTA_EXCEEDED"),
        (503, "UNAVAILABLE", "UNAVAILABLE"),
        (500, "INTERNAL", "INTERNAL"),
    ],
)
def test_quota_unavailable_and_internal_are_retried(router, token_route, sender, status, canonical, error_code):
    router.post(SEND_URL).respond(status, json=fcm_error(status, canonical, "Try again later.", error_code))
    with pytest.raises(SendFailed, match=error_code) as failure:
        sender.send(PUSH)
    assert not isinstance(failure.value, DeviceUnregistered)
    assert failure.value.retryable is True


def test_a_5xx_without_a_json_body_is_retried(router, token_route, sender):
    router.post(SEND_URL).respond(502, text="<html>Bad Gateway</html>")
    with pytest.raises(SendFailed) as failure:
        sender.send(PUSH)
    assert failure.value.retryable is True


@pytest.mark.parametrize(
    ("status", "canonical", "error_code"),
    [
        (403, "PERMISSION_DENIED", "SENDER_ID_MISMATCH"),
        (403, "PERMISSION_DENIED", "THIRD_PARTY_AUTH_ERROR"),
        (403, "PERMISSION_DENIED", None),
    ],
)
def test_sender_configuration_errors_are_not_retried(router, token_route, sender, status, canonical, error_code):
    route = router.post(SEND_URL).respond(status, json=fcm_error(status, canonical, "Permission denied.", error_code))
    with pytest.raises(SendFailed) as failure:
        sender.send(PUSH)
    assert not isinstance(failure.value, DeviceUnregistered)
    assert failure.value.retryable is False
    assert route.call_count == 1


@pytest.mark.parametrize("error", [httpx.ReadTimeout("timed out"), httpx.ConnectError("unreachable")])
def test_send_timeouts_and_transport_errors_are_retried(router, token_route, sender, error):
    router.post(SEND_URL).mock(side_effect=error)
    with pytest.raises(SendFailed) as failure:
        sender.send(PUSH)
    assert failure.value.retryable is True


def test_a_200_without_a_name_is_retried(router, token_route, sender):
    router.post(SEND_URL).respond(200, json={})
    with pytest.raises(SendFailed, match="without a message name") as failure:
        sender.send(PUSH)
    assert failure.value.retryable is True


# --- sandbox -------------------------------------------------------------------------------------------------------


@pytest.fixture
def sent():
    SENT.clear()
    yield SENT
    SENT.clear()


def test_sandbox_push_sends_nothing_logs_and_keeps_the_message(router, sent, caplog):
    caplog.set_level(logging.INFO, logger="pamoja.notifications")

    result = SandboxPush().send(PUSH)

    assert result.provider_id.startswith("sandbox-")
    assert list(sent) == [PUSH]
    assert not router.calls
    [record] = [r for r in caplog.records if r.name == "pamoja.notifications"]
    assert record.levelno == logging.INFO
    assert PUSH.title in record.getMessage()
    assert PUSH.link in record.getMessage()


def test_sandbox_push_to_an_unregistered_token_is_device_unregistered(sent):
    with pytest.raises(DeviceUnregistered):
        SandboxPush().send(OutgoingPush(token="unregistered-pixel-7", title="t", body="b"))
    assert not sent


def test_sandbox_senders_are_named_sandbox():
    assert SandboxPush.name == "sandbox"
    assert FcmPush.name == "fcm"
