"""Deposits through the sandboxes, driven only through the API and the sandbox control surface."""

import uuid
from decimal import Decimal

import pytest
import time_machine
from rest_framework.test import APIClient

from core.models import WebhookDelivery
from payments.models import Charge, PaymentReview, ReconciliationDecision, SandboxPayment
from payments.providers.base import ChargeResult, PaymentStatus, ProviderRejectedError
from payments.providers.sandbox import ProviderSandbox
from payments.selectors import wallet_balance
from payments.services.reconciliation import reconcile_charge, reconcile_pending_payments
from tests.factories import UserFactory
from tests.fixtures.money import paystack_webhook

pytestmark = pytest.mark.django_db


@pytest.fixture
def member():
    return UserFactory(phone_number="+254712345678")


@pytest.fixture
def client(member) -> APIClient:
    client = APIClient()
    client.force_authenticate(user=member)
    return client


def deposit(client, body, key=None):
    return client.post("/api/v1/wallet/deposit/", body, HTTP_IDEMPOTENCY_KEY=key or str(uuid.uuid4()))


def test_card_deposit_through_the_paystack_sandbox(client, member, django_capture_on_commit_callbacks, ledger_is_clean):
    response = deposit(client, {"amount": "5000.00", "currency": "NGN", "provider": "paystack"})
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["status"] == "pending" and body["authorization_url"].endswith(f"/checkout/{body['reference']}/")
    page = APIClient().get(f"/sandbox/paystack/checkout/{body['reference']}/")
    assert page.status_code == 200 and b"Pay" in page.content

    with django_capture_on_commit_callbacks(execute=True):
        done = APIClient().post(
            f"/sandbox/paystack/charges/{body['reference']}/complete/", {"outcome": "success"}, format="json"
        )
    assert done.status_code == 202
    status = client.get(f"/api/v1/wallet/deposits/{body['reference']}/").json()
    assert (status["status"], status["amount"], status["currency"]) == ("succeeded", "5000.00", "NGN")
    assert wallet_balance(user_id=member.pk, currency="NGN") == Decimal("5000.00")
    assert WebhookDelivery.objects.get().signature_valid


def test_declined_card_deposit_fails_and_credits_nothing(client, member, django_capture_on_commit_callbacks):
    reference = deposit(client, {"amount": "100.00", "currency": "NGN", "provider": "paystack"}).json()["reference"]
    with django_capture_on_commit_callbacks(execute=True):
        APIClient().post(f"/sandbox/paystack/charges/{reference}/complete/", {"outcome": "failed"}, format="json")
    assert client.get(f"/api/v1/wallet/deposits/{reference}/").json()["status"] == "failed"
    assert wallet_balance(user_id=member.pk, currency="NGN") == 0


def test_flutterwave_deposit_is_reverified_before_crediting(
    client, member, django_capture_on_commit_callbacks, ledger_is_clean
):
    reference = deposit(client, {"amount": "2500.00", "currency": "KES", "provider": "flutterwave"}).json()["reference"]
    with django_capture_on_commit_callbacks(execute=True):
        APIClient().post(f"/sandbox/flutterwave/charges/{reference}/complete/", {"outcome": "success"}, format="json")
    assert Charge.objects.get(reference=reference).status == "succeeded"
    assert wallet_balance(user_id=member.pk, currency="KES") == Decimal("2500.00")


def test_mpesa_stk_push_completes_by_itself(client, member, django_capture_on_commit_callbacks, ledger_is_clean):
    with django_capture_on_commit_callbacks(execute=True):
        response = deposit(
            client, {"amount": "1500", "currency": "KES", "provider": "mpesa", "phone_number": "+254712345678"}
        )
    assert response.status_code == 201 and response.json()["authorization_url"] == ""
    assert client.get(f"/api/v1/wallet/deposits/{response.json()['reference']}/").json()["status"] == "succeeded"
    assert wallet_balance(user_id=member.pk, currency="KES") == Decimal("1500.00")


def test_mpesa_cancelled_by_the_user_fails(client, member, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = deposit(
            client, {"amount": "100", "currency": "KES", "provider": "mpesa", "phone_number": "+254700001032"}
        )
    charge = Charge.objects.get(reference=response.json()["reference"])
    assert charge.status == "failed" and "cancelled" in charge.failure_reason.lower()
    assert wallet_balance(user_id=member.pk, currency="KES") == 0


def test_mpesa_callback_with_a_wrong_token_is_401_and_changes_nothing(client, member):
    response = deposit(
        client, {"amount": "100", "currency": "KES", "provider": "mpesa", "phone_number": "+254712345678"}
    )
    charge = Charge.objects.get(reference=response.json()["reference"])
    forged = APIClient().post(
        "/api/v1/webhooks/mpesa/not-the-token/",
        {"Body": {"stkCallback": {"CheckoutRequestID": charge.provider_reference, "ResultCode": 0}}},
        format="json",
    )
    assert forged.status_code == 401 and forged.json()["error"]["code"] == "signature_invalid"
    charge.refresh_from_db()
    assert charge.status == "pending"
    assert WebhookDelivery.objects.get().outcome == "unknown_callback_token"


def test_mpesa_callback_with_another_amount_goes_to_review(client, member):
    response = deposit(
        client, {"amount": "100", "currency": "KES", "provider": "mpesa", "phone_number": "+254712345678"}
    )
    charge = Charge.objects.get(reference=response.json()["reference"])
    SandboxPayment.objects.filter(reference=charge.reference).update(status="succeeded")  # the STK query agrees
    callback = stk_callback(charge, amount=1)
    answer = APIClient().post(f"/api/v1/webhooks/mpesa/{charge.callback_token}/", callback, format="json")
    assert answer.status_code == 200 and answer.json() == {"ResultCode": 0, "ResultDesc": "Accepted"}
    charge.refresh_from_db()
    assert charge.status == "pending"
    assert PaymentReview.objects.get(charge=charge).details["amount"] == {"ours": "100.00", "provider": "1.00"}
    assert wallet_balance(user_id=member.pk, currency="KES") == 0


def stk_callback(charge: Charge, *, amount: int) -> dict:
    """Daraja's STK result for `charge`, as its documentation shows it."""
    return {
        "Body": {
            "stkCallback": {
                "MerchantRequestID": "m-1",
                "CheckoutRequestID": charge.provider_reference,
                "ResultCode": 0,
                "ResultDesc": "The service request is processed successfully.",
                "CallbackMetadata": {
                    "Item": [
                        {"Name": "Amount", "Value": amount},
                        {"Name": "MpesaReceiptNumber", "Value": "QWE123"},
                        {"Name": "TransactionDate", "Value": 20261123101010},
                        {"Name": "PhoneNumber", "Value": 254712345678},
                    ]
                },
            }
        }
    }


def success_event(charge: Charge, amount_minor: int | None = None) -> dict:
    return {
        "event": "charge.success",
        "data": {
            "id": 302961,
            "reference": charge.reference,
            "amount": amount_minor if amount_minor is not None else int(charge.amount * 100),
            "currency": charge.currency,
            "status": "success",
            "gateway_response": "Approved",
        },
    }


def test_paystack_webhook_replayed_ten_times_credits_once(client, member, ledger_is_clean):
    reference = deposit(client, {"amount": "750.00", "currency": "NGN", "provider": "paystack"}).json()["reference"]
    SandboxPayment.objects.filter(reference=reference).update(status="succeeded")  # what verification finds
    body, headers = paystack_webhook(success_event(Charge.objects.get(reference=reference)))
    for _ in range(10):
        answer = APIClient().generic("POST", "/api/v1/webhooks/paystack/", body, "application/json", **headers)
        assert answer.status_code == 200
    assert wallet_balance(user_id=member.pk, currency="NGN") == Decimal("750.00")
    assert WebhookDelivery.objects.count() == 10
    assert sorted(WebhookDelivery.objects.values_list("outcome", flat=True)) == ["credited"] + ["duplicate"] * 9


@pytest.mark.parametrize("signature", ["0" * 128, None])
def test_forged_or_unsigned_paystack_webhook_is_401(client, member, signature):
    reference = deposit(client, {"amount": "750.00", "currency": "NGN", "provider": "paystack"}).json()["reference"]
    body, _ = paystack_webhook(success_event(Charge.objects.get(reference=reference)))
    headers = {"HTTP_X_PAYSTACK_SIGNATURE": signature} if signature else {}
    answer = APIClient().generic("POST", "/api/v1/webhooks/paystack/", body, "application/json", **headers)
    assert answer.status_code == 401
    assert Charge.objects.get(reference=reference).status == "pending"
    delivery = WebhookDelivery.objects.get()
    assert (delivery.signature_valid, delivery.outcome) == (False, "signature_invalid")


def test_paystack_webhook_with_another_amount_is_not_credited(client, member):
    reference = deposit(client, {"amount": "750.00", "currency": "NGN", "provider": "paystack"}).json()["reference"]
    charge = Charge.objects.get(reference=reference)
    # Paystack's own record (what verification answers) says 75.00 was paid: the body alone decides nothing.
    SandboxPayment.objects.filter(reference=reference).update(status="succeeded", amount=Decimal("75.00"))
    body, headers = paystack_webhook(success_event(charge, amount_minor=7500))
    assert (
        APIClient().generic("POST", "/api/v1/webhooks/paystack/", body, "application/json", **headers).status_code
        == 200
    )
    assert Charge.objects.get(pk=charge.pk).status == "pending"
    assert PaymentReview.objects.filter(charge=charge).exists()
    assert wallet_balance(user_id=member.pk, currency="NGN") == 0


def test_unknown_reference_is_acknowledged_and_logged(caplog):
    body, headers = paystack_webhook(
        {
            "event": "charge.success",
            "data": {"id": 1, "reference": "NOT-OURS", "amount": 100, "currency": "NGN", "status": "success"},
        }
    )
    answer = APIClient().generic("POST", "/api/v1/webhooks/paystack/", body, "application/json", **headers)
    assert answer.status_code == 200
    assert WebhookDelivery.objects.get().outcome == "unknown_reference"


def test_reconciliation_settles_a_charge_whose_webhook_never_came(client, member, ledger_is_clean):
    with time_machine.travel("2026-11-23 08:00Z"):
        reference = deposit(client, {"amount": "300.00", "currency": "NGN", "provider": "paystack"}).json()["reference"]
    SandboxPayment.objects.filter(reference=reference).update(status="succeeded")  # paid; the webhook was lost
    with time_machine.travel("2026-11-23 08:10Z"):
        assert reconcile_pending_payments()["charges"] == 0  # not stale yet
    with time_machine.travel("2026-11-23 08:16Z"):
        assert reconcile_pending_payments() == {"charges": 1, "withdrawals": 0, "errors": 0}
    charge = Charge.objects.get(reference=reference)
    assert charge.status == "succeeded"
    assert ReconciliationDecision.objects.get(charge=charge).decision == "credited"
    assert wallet_balance(user_id=member.pk, currency="NGN") == Decimal("300.00")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"amount": "0", "currency": "NGN", "provider": "paystack"}, "amount"),
        ({"amount": "-5.00", "currency": "NGN", "provider": "paystack"}, "amount"),
        ({"amount": "1.001", "currency": "NGN", "provider": "paystack"}, "amount"),
        ({"amount": "1e3", "currency": "NGN", "provider": "paystack"}, "amount"),
        ({"amount": "100.00", "currency": "XYZ", "provider": "paystack"}, "currency"),
        ({"amount": "100.00", "currency": "NGN", "provider": "stripe"}, "provider"),
        ({"amount": "100", "currency": "KES", "provider": "mpesa"}, "phone_number"),
        ({"amount": "100.50", "currency": "KES", "provider": "mpesa", "phone_number": "+254712345678"}, "amount"),
    ],
)
def test_bad_deposits_are_400_and_create_nothing(client, body, field):
    response = deposit(client, body)
    assert response.status_code == 400, response.json()
    assert field in response.json()["error"]["details"]
    assert not Charge.objects.exists()


def test_provider_that_does_not_take_the_currency(client):
    response = deposit(
        client, {"amount": "100.00", "currency": "NGN", "provider": "mpesa", "phone_number": "+254712345678"}
    )
    assert response.status_code == 400 and response.json()["error"]["code"] == "provider_not_supported"


def test_deposit_status_is_private(client):
    reference = deposit(client, {"amount": "10.00", "currency": "NGN", "provider": "paystack"}).json()["reference"]
    stranger = APIClient()
    stranger.force_authenticate(user=UserFactory())
    assert stranger.get(f"/api/v1/wallet/deposits/{reference}/").status_code == 404


def flutterwave_event(charge: Charge, status: str = "successful") -> bytes:
    import json

    return json.dumps(
        {
            "event": "charge.completed",
            "data": {
                "id": 285959875,
                "tx_ref": charge.reference,
                "flw_ref": "FLW-MOCK-1",
                "amount": float(charge.amount),
                "currency": charge.currency,
                "status": status,
            },
        }
    ).encode()


def test_flutterwave_webhook_replayed_credits_once_and_forged_is_401(
    client, member, django_capture_on_commit_callbacks, ledger_is_clean
):
    from django.conf import settings

    reference = deposit(client, {"amount": "900.00", "currency": "KES", "provider": "flutterwave"}).json()["reference"]
    charge = Charge.objects.get(reference=reference)
    SandboxPayment.objects.filter(reference=reference).update(status="succeeded")  # the provider's own record
    body = flutterwave_event(charge)
    forged = APIClient().generic("POST", "/api/v1/webhooks/flutterwave/", body, "application/json", HTTP_VERIF_HASH="x")
    assert forged.status_code == 401
    assert Charge.objects.get(pk=charge.pk).status == "pending"
    for _ in range(5):
        answer = APIClient().generic(
            "POST",
            "/api/v1/webhooks/flutterwave/",
            body,
            "application/json",
            HTTP_VERIF_HASH=settings.FLUTTERWAVE_SECRET_HASH,
        )
        assert answer.status_code == 200
    assert wallet_balance(user_id=member.pk, currency="KES") == Decimal("900.00")


def test_flutterwave_success_the_api_does_not_confirm_is_not_credited(client, member):
    from django.conf import settings

    reference = deposit(client, {"amount": "900.00", "currency": "KES", "provider": "flutterwave"}).json()["reference"]
    charge = Charge.objects.get(reference=reference)  # the sandbox still says pending: the webhook is not believed
    answer = APIClient().generic(
        "POST",
        "/api/v1/webhooks/flutterwave/",
        flutterwave_event(charge),
        "application/json",
        HTTP_VERIF_HASH=settings.FLUTTERWAVE_SECRET_HASH,
    )
    assert answer.status_code == 200
    assert Charge.objects.get(pk=charge.pk).status == "pending"
    assert wallet_balance(user_id=member.pk, currency="KES") == 0


def test_mpesa_callback_replayed_credits_once(client, member, ledger_is_clean):
    response = deposit(
        client, {"amount": "250", "currency": "KES", "provider": "mpesa", "phone_number": "+254712345678"}
    )
    charge = Charge.objects.get(reference=response.json()["reference"])
    SandboxPayment.objects.filter(reference=charge.reference).update(status="succeeded")  # the STK query agrees
    callback = stk_callback(charge, amount=250)
    for _ in range(5):
        answer = APIClient().post(f"/api/v1/webhooks/mpesa/{charge.callback_token}/", callback, format="json")
        assert answer.status_code == 200
    assert wallet_balance(user_id=member.pk, currency="KES") == Decimal("250.00")
    assert sorted(WebhookDelivery.objects.values_list("outcome", flat=True)) == ["credited"] + ["duplicate"] * 4


def test_flutterwave_webhook_counts_once_the_api_confirms(client, member, ledger_is_clean):
    from django.conf import settings

    reference = deposit(client, {"amount": "900.00", "currency": "KES", "provider": "flutterwave"}).json()["reference"]
    charge = Charge.objects.get(reference=reference)
    body = flutterwave_event(charge)

    def send():
        return APIClient().generic(
            "POST",
            "/api/v1/webhooks/flutterwave/",
            body,
            "application/json",
            HTTP_VERIF_HASH=settings.FLUTTERWAVE_SECRET_HASH,
        )

    assert send().status_code == 200  # the API still says pending: nothing credited, nothing claimed
    SandboxPayment.objects.filter(reference=reference).update(status="succeeded")
    assert send().status_code == 200  # Flutterwave retries the same event: now it counts
    assert wallet_balance(user_id=member.pk, currency="KES") == Decimal("900.00")


def test_a_late_success_credits_a_charge_marked_failed_once(client, member, ledger_is_clean):
    """An abandoned checkout, marked failed by reconciliation, then paid after all: the money is the customer's."""
    reference = deposit(client, {"amount": "400.00", "currency": "NGN", "provider": "paystack"}).json()["reference"]
    charge = Charge.objects.get(reference=reference)
    Charge.objects.filter(pk=charge.pk).update(status="failed", failure_reason="Abandoned")
    SandboxPayment.objects.filter(reference=reference).update(status="succeeded")  # paid after all
    body, headers = paystack_webhook(success_event(charge))
    for _ in range(2):
        APIClient().generic("POST", "/api/v1/webhooks/paystack/", body, "application/json", **headers)
    assert Charge.objects.get(pk=charge.pk).status == "succeeded"
    assert wallet_balance(user_id=member.pk, currency="NGN") == Decimal("400.00")


def test_reconciliation_credits_an_mpesa_push_the_query_confirms(client, member, monkeypatch, ledger_is_clean):
    """Daraja's STK query answers no amount: the push's own amount, which we fixed, is what it confirms."""
    response = deposit(
        client, {"amount": "300", "currency": "KES", "provider": "mpesa", "phone_number": "+254712345678"}
    )
    charge = Charge.objects.get(reference=response.json()["reference"])
    monkeypatch.setattr(
        ProviderSandbox,
        "verify_charge",
        lambda self, *, reference, provider_reference=None: ChargeResult(
            reference=reference, status=PaymentStatus.SUCCEEDED
        ),
    )
    assert reconcile_charge(charge=charge).decision == "credited"
    assert wallet_balance(user_id=member.pk, currency="KES") == Decimal("300.00")


def test_a_checkout_the_provider_never_saw_is_failed_after_a_day(client, member, monkeypatch):
    def not_found(self, *, reference, provider_reference=None):
        raise ProviderRejectedError("No transaction was found for this id")

    monkeypatch.setattr(ProviderSandbox, "verify_charge", not_found)
    with time_machine.travel("2026-11-20 08:00Z"):
        reference = deposit(client, {"amount": "10.00", "currency": "KES", "provider": "flutterwave"}).json()[
            "reference"
        ]
    charge = Charge.objects.get(reference=reference)
    with time_machine.travel("2026-11-20 09:00Z"):
        assert reconcile_charge(charge=charge).decision == "provider_has_no_record"
    with time_machine.travel("2026-11-21 09:00Z"):
        assert reconcile_charge(charge=charge).decision == "failed"
    assert Charge.objects.get(pk=charge.pk).status == "failed"


def test_mpesa_callback_about_another_push_on_this_url_is_ignored(client, member):
    response = deposit(
        client, {"amount": "250", "currency": "KES", "provider": "mpesa", "phone_number": "+254712345678"}
    )
    charge = Charge.objects.get(reference=response.json()["reference"])
    callback = stk_callback(charge, amount=250)
    callback["Body"]["stkCallback"]["CheckoutRequestID"] = "ws_CO_someone_else"
    APIClient().post(f"/api/v1/webhooks/mpesa/{charge.callback_token}/", callback, format="json")
    assert Charge.objects.get(pk=charge.pk).status == "pending"
    assert WebhookDelivery.objects.get().outcome == "provider_reference_mismatch"
