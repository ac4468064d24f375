"""The M-Pesa Daraja adapter against Daraja's documented payloads, over a mocked transport."""

import base64
import json
from decimal import Decimal

import pytest
import respx
import time_machine

from payments.providers.base import (
    ChargeRequest,
    EventKind,
    PaymentStatus,
    ProviderError,
    ProviderRejectedError,
    TransferRequest,
)
from payments.providers.mpesa.adapter import MpesaConfig, MpesaProvider, stk_password

BASE = "https://sandbox.safaricom.co.ke"
CONFIG = MpesaConfig(
    consumer_key="ck",
    consumer_secret="cs",
    shortcode="174379",
    passkey="bfb279f9aa9bdbcf158e97dd71a467cd2e0c893059b10f78e6b72ada1ed2c919",
    b2c_shortcode="600980",
    initiator_name="testapi",
    security_credential="encrypted==",
)


@pytest.fixture
def mpesa():
    return MpesaProvider(CONFIG)


@pytest.fixture
def token_route():
    with respx.mock(assert_all_called=False) as router:
        route = router.get(f"{BASE}/oauth/v1/generate").respond(
            200, json={"access_token": "c9SQxWWhmdVRlyh0zh8gZDTkubVF", "expires_in": "3599"}
        )
        yield router, route


def stk_request(amount="100", phone="+254708374149"):
    return ChargeRequest(
        reference="PMJ-ABCDEFGHIJKLMN",
        amount=Decimal(amount),
        currency="KES",
        email="a@b.co",
        callback_url="https://pamoja.africa/api/v1/webhooks/mpesa/tok/",
        phone_number=phone,
    )


def test_password_is_base64_of_shortcode_passkey_timestamp():
    expected = base64.b64encode(f"174379{CONFIG.passkey}20260101120000".encode()).decode()
    assert stk_password("174379", CONFIG.passkey, "20260101120000") == expected
    assert expected.startswith("MTc0Mzc5YmZiMjc5Zjlh")


def test_stk_push_request_and_token_cached(mpesa, token_route):
    router, oauth = token_route
    push = router.post(f"{BASE}/mpesa/stkpush/v1/processrequest").respond(
        200,
        json={
            "MerchantRequestID": "29115-34620561-1",
            "CheckoutRequestID": "ws_CO_191220191020363925",
            "ResponseCode": "0",
            "ResponseDescription": "Success. Request accepted for processing",
            "CustomerMessage": "Success. Request accepted for processing",
        },
    )
    with time_machine.travel("2026-11-23 07:30:00Z"):
        first = mpesa.initialize_charge(stk_request())
        mpesa.initialize_charge(stk_request())
    assert oauth.call_count == 1
    assert oauth.calls.last.request.headers["Authorization"] == "Basic " + base64.b64encode(b"ck:cs").decode()
    sent = json.loads(push.calls.last.request.content)
    assert push.calls.last.request.headers["Authorization"] == "Bearer c9SQxWWhmdVRlyh0zh8gZDTkubVF"
    assert sent["Timestamp"] == "20261123103000"  # Nairobi time
    assert sent["Password"] == stk_password("174379", CONFIG.passkey, "20261123103000")
    assert (sent["Amount"], sent["PartyA"], sent["PhoneNumber"], sent["PartyB"]) == (
        100,
        "254708374149",
        "254708374149",
        "174379",
    )
    assert sent["AccountReference"] == "PMJ-ABCDEFGH" and sent["CallBackURL"].endswith("/mpesa/tok/")
    assert (first.status, first.provider_reference) == (PaymentStatus.PENDING, "ws_CO_191220191020363925")


def test_expired_token_is_fetched_again_once(mpesa, token_route):
    router, oauth = token_route
    router.post(f"{BASE}/mpesa/stkpush/v1/processrequest").mock(
        side_effect=[
            respx.MockResponse(401, json={"errorCode": "404.001.03", "errorMessage": "Invalid Access Token"}),
            respx.MockResponse(200, json={"ResponseCode": "0", "CheckoutRequestID": "ws_CO_2"}),
        ]
    )
    assert mpesa.initialize_charge(stk_request()).provider_reference == "ws_CO_2"
    assert oauth.call_count == 2


def test_cents_and_other_currencies_are_refused(mpesa):
    with pytest.raises(ProviderRejectedError, match="whole Kenya shillings"):
        mpesa.initialize_charge(stk_request(amount="100.50"))


@pytest.mark.parametrize(
    ("answer", "status"),
    [
        (
            {"ResponseCode": "0", "ResultCode": "0", "ResultDesc": "The service request is processed successfully."},
            PaymentStatus.SUCCEEDED,
        ),
        ({"ResponseCode": "0", "ResultCode": "1032", "ResultDesc": "Request cancelled by user"}, PaymentStatus.FAILED),
        ({"errorCode": "500.001.1001", "errorMessage": "The transaction is being processed"}, PaymentStatus.PENDING),
    ],
)
def test_stk_query(mpesa, token_route, answer, status):
    router, _ = token_route
    # Daraja answers "still processing" with HTTP 500 and an errorCode
    router.post(f"{BASE}/mpesa/stkpushquery/v1/query").respond(200 if "ResultCode" in answer else 500, json=answer)
    assert mpesa.verify_charge(reference="PMJ-1", provider_reference="ws_CO_1").status == status


def test_b2c_request(mpesa, token_route):
    router, _ = token_route
    route = router.post(f"{BASE}/mpesa/b2c/v1/paymentrequest").respond(
        200,
        json={
            "ConversationID": "AG_20191219_00005797af5d7d75f652",
            "OriginatorConversationID": "16740-34861180-1",
            "ResponseCode": "0",
            "ResponseDescription": "Accept the service request successfully.",
        },
    )
    result = mpesa.transfer(
        TransferRequest(
            reference="PMJ-WD-1",
            amount=Decimal("1000.00"),
            currency="KES",
            reason="Pamoja withdrawal",
            callback_url="https://pamoja.africa/api/v1/webhooks/mpesa/tok/",
            phone_number="+254708374149",
        )
    )
    sent = json.loads(route.calls.last.request.content)
    assert (sent["InitiatorName"], sent["SecurityCredential"], sent["CommandID"]) == (
        "testapi",
        "encrypted==",
        "BusinessPayment",
    )
    assert (sent["Amount"], sent["PartyA"], sent["PartyB"]) == (1000, "600980", "254708374149")
    assert sent["ResultURL"] == sent["QueueTimeOutURL"] == "https://pamoja.africa/api/v1/webhooks/mpesa/tok/"
    assert (result.status, result.provider_reference) == (PaymentStatus.PENDING, "AG_20191219_00005797af5d7d75f652")


def test_stk_callback_success_and_cancellation(mpesa):
    success = {
        "Body": {
            "stkCallback": {
                "MerchantRequestID": "29115-34620561-1",
                "CheckoutRequestID": "ws_CO_191220191020363925",
                "ResultCode": 0,
                "ResultDesc": "The service request is processed successfully.",
                "CallbackMetadata": {
                    "Item": [
                        {"Name": "Amount", "Value": 1.00},
                        {"Name": "MpesaReceiptNumber", "Value": "NLJ7RT61SV"},
                        {"Name": "Balance"},
                        {"Name": "TransactionDate", "Value": 20191219102115},
                        {"Name": "PhoneNumber", "Value": 254708374149},
                    ]
                },
            }
        }
    }
    (event,) = mpesa.parse_webhook(headers={}, body=json.dumps(success).encode())
    assert (event.kind, event.status, event.amount, event.phone_number) == (
        EventKind.CHARGE,
        PaymentStatus.SUCCEEDED,
        Decimal("1.00"),
        "+254708374149",
    )
    assert event.event_id == "stk:ws_CO_191220191020363925"
    cancelled = {
        "Body": {
            "stkCallback": {
                "MerchantRequestID": "1",
                "CheckoutRequestID": "ws_CO_2",
                "ResultCode": 1032,
                "ResultDesc": "Request cancelled by user",
            }
        }
    }
    (event,) = mpesa.parse_webhook(headers={}, body=json.dumps(cancelled).encode())
    assert (event.status, event.amount, event.message) == (PaymentStatus.FAILED, None, "Request cancelled by user")


def test_b2c_result(mpesa):
    result = {
        "Result": {
            "ResultType": 0,
            "ResultCode": 0,
            "ResultDesc": "The service request is processed successfully.",
            "OriginatorConversationID": "10571-7910404-1",
            "ConversationID": "AG_20191219_00004e48cf7e3533f581",
            "TransactionID": "NLJ41HAY6Q",
            "ResultParameters": {
                "ResultParameter": [
                    {"Key": "TransactionAmount", "Value": 10},
                    {"Key": "TransactionReceipt", "Value": "NLJ41HAY6Q"},
                    {"Key": "B2CRecipientIsRegisteredCustomer", "Value": "Y"},
                ]
            },
        }
    }
    (event,) = mpesa.parse_webhook(headers={}, body=json.dumps(result).encode())
    assert (event.kind, event.status, event.amount, event.provider_reference) == (
        EventKind.TRANSFER,
        PaymentStatus.SUCCEEDED,
        Decimal("10.00"),
        "AG_20191219_00004e48cf7e3533f581",
    )


def test_unreadable_callbacks(mpesa):
    with pytest.raises(ValueError, match="not JSON"):
        mpesa.parse_webhook(headers={}, body=b"not json")
    with pytest.raises(ValueError, match="not an STK callback"):
        mpesa.parse_webhook(headers={}, body=b'{"something": "else"}')


def test_stk_query_server_failure_is_a_provider_error(mpesa, token_route):
    router, _ = token_route
    router.post(f"{BASE}/mpesa/stkpushquery/v1/query").respond(503, text="Service Unavailable")
    with pytest.raises(ProviderError):
        mpesa.verify_charge(reference="PMJ-1", provider_reference="ws_CO_1")
