"""Issue 11: webhooks are acted on only through the provider's own answer, secrets are never the public sandbox
defaults in production, NUL bytes are refused, a PIN token is spent by any transfer that looks up its recipient,
recipient lookups are rate-limited, and each provider has a deposit maximum."""

import json
import os
import subprocess
import sys
import uuid
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from rest_framework.test import APIClient

from config import settings as module
from core.models import ProcessedEvent, WebhookDelivery
from payments.models import AccountKind, Charge, LedgerEntry, PaymentReview, SandboxPayment, Withdrawal
from payments.providers.base import ChargeResult, PaymentStatus, ProviderError
from payments.providers.flutterwave.adapter import FlutterwaveConfig, FlutterwaveProvider
from payments.providers.registry import get_provider, real_provider
from payments.providers.sandbox import ProviderSandbox, deliver_webhook
from payments.selectors import wallet_balance
from payments.services import get_house_account
from payments.services.withdrawals import apply_transfer_result, submit_withdrawal_to_provider
from tests.factories import UserFactory, pin_token
from tests.fixtures.money import fund_wallet, paystack_webhook

ROOT = Path(__file__).resolve().parents[2]


# --- helpers ------------------------------------------------------------------------------------------------------


def client_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user=user)
    client.user = user
    return client


def house_sum(kind, currency, code=""):
    account = get_house_account(kind=kind, currency=currency, code=code)
    return sum(LedgerEntry.objects.filter(account=account).values_list("amount", flat=True), Decimal("0"))


def post_flutterwave(payload: dict | bytes, verif_hash: str | None = None):
    body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    return APIClient().generic(
        "POST",
        "/api/v1/webhooks/flutterwave/",
        body,
        "application/json",
        HTTP_VERIF_HASH=verif_hash or django_settings.FLUTTERWAVE_SECRET_HASH,
    )


def post_paystack(payload: dict):
    body, headers = paystack_webhook(payload)
    return APIClient().generic("POST", "/api/v1/webhooks/paystack/", body, "application/json", **headers)


def open_withdrawal(user, *, provider: str, currency: str, amount: str) -> Withdrawal:
    """A bank withdrawal sent to the provider (the sandbox holds it pending); no webhook delivered yet."""
    client = client_for(user)
    bank = client.post(
        "/api/v1/banks/",
        {"provider": provider, "currency": currency, "bank_code": "058", "account_number": "0123456789"},
        format="json",
    )
    assert bank.status_code == 201, bank.json()
    response = client.post(
        "/api/v1/wallet/withdraw/",
        {"amount": amount, "currency": currency, "bank_account": bank.json()["id"]},
        HTTP_IDEMPOTENCY_KEY=str(uuid.uuid4()),
        HTTP_X_PIN_TOKEN=pin_token(user),
    )
    assert response.status_code == 201, response.json()
    withdrawal = Withdrawal.objects.get(pk=response.json()["id"])
    assert submit_withdrawal_to_provider(withdrawal_id=withdrawal.pk) == "still_pending"
    withdrawal.refresh_from_db()
    return withdrawal


def flutterwave_transfer_event(withdrawal: Withdrawal, status: str, *, transfer_id=None) -> dict:
    record = SandboxPayment.objects.get(kind="transfer", reference=withdrawal.reference)
    return {
        "event": "transfer.completed",
        "event.type": "Transfer",
        "data": {
            "id": transfer_id if transfer_id is not None else record.pk,
            "reference": withdrawal.reference,
            "amount": float(withdrawal.amount),
            "currency": withdrawal.currency,
            "status": status,
            "complete_message": "DISBURSE FAILED: Insufficient funds" if status == "FAILED" else "Successful",
        },
    }


def start_deposit_via_api(user, body) -> Charge:
    response = client_for(user).post("/api/v1/wallet/deposit/", body, HTTP_IDEMPOTENCY_KEY=str(uuid.uuid4()))
    assert response.status_code == 201, response.json()
    return Charge.objects.get(reference=response.json()["reference"])


def stk_callback(charge: Charge, *, amount: int, result_code: int = 0) -> dict:
    callback = {
        "MerchantRequestID": "m-1",
        "CheckoutRequestID": charge.provider_reference,
        "ResultCode": result_code,
        "ResultDesc": "The service request is processed successfully.",
    }
    if result_code == 0:
        callback["CallbackMetadata"] = {
            "Item": [
                {"Name": "Amount", "Value": amount},
                {"Name": "MpesaReceiptNumber", "Value": "QWE123"},
                {"Name": "TransactionDate", "Value": 20261123101010},
                {"Name": "PhoneNumber", "Value": int(charge.phone_number.lstrip("+"))},
            ]
        }
    return {"Body": {"stkCallback": callback}}


@pytest.fixture
def member(db):
    user = UserFactory(phone_number="+254712345678")
    fund_wallet(user, "10000.00", "NGN")
    return user


# --- 1. every webhook is re-verified with the provider before it moves money --------------------------------------


@pytest.mark.django_db
def test_forged_flutterwave_failed_transfer_for_a_paid_withdrawal_refunds_nothing(member, ledger_is_clean):
    """The reported hole: `transfer.completed` FAILED with the default hash, for a transfer the provider paid."""
    withdrawal = open_withdrawal(member, provider="flutterwave", currency="NGN", amount="2000.00")
    assert wallet_balance(user_id=member.pk, currency="NGN") == Decimal("7955.00")  # 2000 + 45 fee in flight
    SandboxPayment.objects.filter(reference=withdrawal.reference).update(status="succeeded")  # paid; webhook late

    forged = post_flutterwave(flutterwave_transfer_event(withdrawal, "FAILED"))
    assert forged.status_code == 200
    withdrawal.refresh_from_db()
    assert withdrawal.status == "succeeded"  # the provider's own answer, not the body's
    assert wallet_balance(user_id=member.pk, currency="NGN") == Decimal("7955.00")

    for _ in range(2):  # the same forged body again, then the provider's real webhook, twice: nothing more
        assert post_flutterwave(flutterwave_transfer_event(withdrawal, "FAILED")).status_code == 200
    record = SandboxPayment.objects.get(reference=withdrawal.reference)
    assert deliver_webhook(record=record) == 200
    assert deliver_webhook(record=record) == 200
    withdrawal.refresh_from_db()
    assert withdrawal.status == "succeeded" and withdrawal.return_transaction_id is None
    assert wallet_balance(user_id=member.pk, currency="NGN") == Decimal("7955.00")
    assert house_sum(AccountKind.IN_FLIGHT, "NGN", "flutterwave") == 0
    assert house_sum(AccountKind.PROVIDER_CLEARING, "NGN", "flutterwave:out") == Decimal("2000.00")


@pytest.mark.django_db
def test_flutterwave_failed_transfer_the_api_still_calls_pending_changes_nothing(member, ledger_is_clean):
    withdrawal = open_withdrawal(member, provider="flutterwave", currency="NGN", amount="1000.00")
    answer = post_flutterwave(flutterwave_transfer_event(withdrawal, "FAILED"))
    assert answer.status_code == 200
    withdrawal.refresh_from_db()
    assert withdrawal.status == "processing"
    assert wallet_balance(user_id=member.pk, currency="NGN") == Decimal("8955.00")
    assert WebhookDelivery.objects.get().outcome == "still_pending"
    assert not ProcessedEvent.objects.exists()  # not claimed: the real answer may still come under this id


@pytest.mark.django_db
def test_flutterwave_transfer_success_is_settled_once_when_the_api_confirms_it(member, ledger_is_clean):
    withdrawal = open_withdrawal(member, provider="flutterwave", currency="NGN", amount="1000.00")
    event = flutterwave_transfer_event(withdrawal, "SUCCESSFUL")
    assert post_flutterwave(event).status_code == 200  # the API still says pending: not believed yet
    assert Withdrawal.objects.get(pk=withdrawal.pk).status == "processing"
    SandboxPayment.objects.filter(reference=withdrawal.reference).update(status="succeeded")
    for _ in range(2):
        assert post_flutterwave(event).status_code == 200
    assert Withdrawal.objects.get(pk=withdrawal.pk).status == "succeeded"
    outcomes = list(WebhookDelivery.objects.order_by("pk").values_list("outcome", flat=True))
    assert outcomes == ["still_pending", "settled", "duplicate"]
    assert wallet_balance(user_id=member.pk, currency="NGN") == Decimal("8955.00")


@pytest.mark.django_db
def test_paystack_transfer_failed_for_a_paid_withdrawal_refunds_nothing(member, ledger_is_clean):
    withdrawal = open_withdrawal(member, provider="paystack", currency="NGN", amount="2000.00")
    SandboxPayment.objects.filter(reference=withdrawal.reference).update(status="succeeded")
    event = {
        "event": "transfer.failed",
        "data": {
            "id": 77,
            "reference": withdrawal.reference,
            "transfer_code": withdrawal.provider_reference,
            "amount": 200000,
            "currency": "NGN",
            "status": "failed",
        },
    }
    for _ in range(2):
        assert post_paystack(event).status_code == 200
    withdrawal.refresh_from_db()
    assert withdrawal.status == "succeeded"
    assert wallet_balance(user_id=member.pk, currency="NGN") == Decimal("7950.00")


@pytest.mark.django_db
def test_paystack_charge_success_the_api_does_not_confirm_credits_nothing(member):
    charge = start_deposit_via_api(member, {"amount": "750.00", "currency": "NGN", "provider": "paystack"})
    event = {
        "event": "charge.success",
        "data": {"id": 1, "reference": charge.reference, "amount": 75000, "currency": "NGN", "status": "success"},
    }
    assert post_paystack(event).status_code == 200  # the sandbox (the provider) still says pending
    SandboxPayment.objects.filter(reference=charge.reference).update(status="failed")
    assert post_paystack(event).status_code == 200  # ... and now that it failed
    charge.refresh_from_db()
    assert charge.status == "failed"
    assert wallet_balance(user_id=member.pk, currency="NGN") == Decimal("10000.00")


@pytest.mark.django_db
def test_mpesa_stk_success_callback_the_query_does_not_confirm_credits_nothing(member):
    charge = start_deposit_via_api(
        member, {"amount": "250", "currency": "KES", "provider": "mpesa", "phone_number": "+254712345678"}
    )
    SandboxPayment.objects.filter(reference=charge.reference).update(status="failed")  # the STK query's answer
    url = f"/api/v1/webhooks/mpesa/{charge.callback_token}/"
    answer = APIClient().post(url, stk_callback(charge, amount=250), format="json")
    assert answer.status_code == 200
    charge.refresh_from_db()
    assert charge.status == "failed"
    assert wallet_balance(user_id=member.pk, currency="KES") == 0


@pytest.mark.django_db
def test_verification_naming_another_payment_is_recorded_unverified_and_changes_nothing(member, monkeypatch):
    charge = start_deposit_via_api(member, {"amount": "900.00", "currency": "KES", "provider": "flutterwave"})
    monkeypatch.setattr(
        ProviderSandbox,
        "verify_charge",
        lambda self, *, reference, provider_reference=None: ChargeResult(
            reference="PMJ-SOMEONE-ELSE", status=PaymentStatus.FAILED, amount=Decimal("900.00"), currency="KES"
        ),
    )
    body = {
        "event": "charge.completed",
        "data": {"id": 42, "tx_ref": charge.reference, "amount": 900, "currency": "KES", "status": "failed"},
    }
    assert post_flutterwave(body).status_code == 200
    assert Charge.objects.get(pk=charge.pk).status == "pending"
    delivery = WebhookDelivery.objects.get()
    assert (delivery.signature_valid, delivery.outcome) == (True, "unverified")


@pytest.mark.django_db
def test_provider_unreachable_for_verification_is_503_and_changes_nothing(member, monkeypatch):
    withdrawal = open_withdrawal(member, provider="flutterwave", currency="NGN", amount="1000.00")

    def unreachable(self, *, reference, provider_reference=None):
        raise ProviderError("The payment provider did not answer in time.")

    monkeypatch.setattr(ProviderSandbox, "verify_transfer", unreachable)
    answer = post_flutterwave(flutterwave_transfer_event(withdrawal, "FAILED"))
    assert answer.status_code == 503 and answer.json()["error"]["code"] == "provider_unavailable"
    assert Withdrawal.objects.get(pk=withdrawal.pk).status == "processing"
    assert WebhookDelivery.objects.get().outcome == "verification_unavailable"
    assert not ProcessedEvent.objects.exists()  # the provider's retry will be processed


@pytest.mark.django_db
def test_a_success_the_provider_reports_for_a_returned_withdrawal_goes_to_review(member, monkeypatch):
    """Should the money ever have gone back before the provider paid, staff hear of it; nothing is posted twice."""
    withdrawal = open_withdrawal(member, provider="paystack", currency="NGN", amount="500.00")
    assert apply_transfer_result(withdrawal_id=withdrawal.pk, status=PaymentStatus.FAILED) == "returned"
    for _ in range(2):
        assert apply_transfer_result(withdrawal_id=withdrawal.pk, status=PaymentStatus.SUCCEEDED) == "sent_to_review"
    assert PaymentReview.objects.filter(withdrawal=withdrawal).count() == 1
    assert wallet_balance(user_id=member.pk, currency="NGN") == Decimal("10000.00")


def test_adapters_say_which_events_they_can_verify():
    for name in ("paystack", "flutterwave"):
        assert real_provider(name).verifies_charges and real_provider(name).verifies_transfers
    assert real_provider("mpesa").verifies_charges  # the STK query
    assert not real_provider("mpesa").verifies_transfers  # B2C status answers on a callback only
    for name in ("paystack", "flutterwave", "mpesa"):
        sandbox = get_provider(name)
        assert isinstance(sandbox, ProviderSandbox)
        assert (sandbox.verifies_charges, sandbox.verifies_transfers) == (
            real_provider(name).verifies_charges,
            real_provider(name).verifies_transfers,
        )


def test_flutterwave_verification_of_another_transaction_names_its_reference():
    import respx

    adapter = FlutterwaveProvider(FlutterwaveConfig(secret_key="k", secret_hash="h"))
    with respx.mock:
        respx.get("https://api.flutterwave.com/v3/transactions/5/verify").respond(
            200, json={"status": "success", "data": {"id": 5, "tx_ref": "PMJ-OTHER", "status": "successful"}}
        )
        result = adapter.verify_charge(reference="PMJ-MINE", provider_reference="5")
    assert result.status == PaymentStatus.FAILED and result.reference == "PMJ-OTHER"


# --- 2. provider secrets in production --------------------------------------------------------------------------

PROVIDER_SECRETS = (
    "PAYSTACK_SECRET_KEY",
    "FLUTTERWAVE_SECRET_KEY",
    "FLUTTERWAVE_SECRET_HASH",
    "MPESA_CONSUMER_KEY",
    "MPESA_CONSUMER_SECRET",
    "MPESA_PASSKEY",
    "MPESA_SECURITY_CREDENTIAL",
    "MPESA_C2B_TOKEN",
    "SMILE_ID_API_KEY",
    "VTPASS_API_KEY",
    "VTPASS_PUBLIC_KEY",
    "VTPASS_SECRET_KEY",
    "VTPASS_CALLBACK_TOKEN",
    "WHATSAPP_APP_SECRET",
    "WHATSAPP_VERIFY_TOKEN",
    "WHATSAPP_ACCESS_TOKEN",
    "USSD_CALLBACK_TOKEN",
)
PRODUCTION = {
    "DEBUG": "false",
    "SECRET_KEY": "k3y-" + "aZ9!x@Q7#m" * 6,
    "FIELD_ENCRYPTION_KEYS": "pZ1vVQm6s4wqgTz0KcBd1b1yH3mEw3sJmJ8f1x4mQnE=",
    "FIELD_HASH_KEY": "k" * 48,
}
REAL_SECRETS = {name: f"live-{name.lower()}-{'s' * 24}" for name in PROVIDER_SECRETS}


def settings_in_subprocess(code: str, **env: str) -> subprocess.CompletedProcess:
    hidden = {"DEBUG", "SECRET_KEY", "DJANGO_SETTINGS_MODULE", "PROVIDERS_SANDBOX", *PRODUCTION, *PROVIDER_SECRETS}
    clean = {k: v for k, v in os.environ.items() if k not in hidden}
    clean.update(ENV_FILE="", **env)
    return subprocess.run(
        [sys.executable, "-c", f"from config import settings as s; {code}"],
        cwd=ROOT,
        env=clean,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_sandbox_is_off_by_default_in_production_and_missing_secrets_stop_startup():
    result = settings_in_subprocess("print(s.PROVIDERS_SANDBOX)", **PRODUCTION)
    assert result.returncode != 0, result.stdout
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith("Configuration error: ") and "PROVIDERS_SANDBOX" in line
    for name in PROVIDER_SECRETS:
        assert name in line
    assert "Traceback" not in result.stderr


def test_sandbox_default_values_are_refused_when_the_sandbox_is_off():
    sandbox_values = {name: getattr(module, name) for name in PROVIDER_SECRETS}  # DEBUG tests: the defaults
    result = settings_in_subprocess(
        "print(s.PROVIDERS_SANDBOX)",
        **PRODUCTION,
        **{**REAL_SECRETS, "FLUTTERWAVE_SECRET_HASH": sandbox_values["FLUTTERWAVE_SECRET_HASH"]},
    )
    assert result.returncode != 0
    (line,) = result.stderr.strip().splitlines()
    assert "FLUTTERWAVE_SECRET_HASH" in line and "PAYSTACK_SECRET_KEY" not in line
    debug_but_real = settings_in_subprocess("print(s.PROVIDERS_SANDBOX)", DEBUG="true", PROVIDERS_SANDBOX="false")
    assert debug_but_real.returncode != 0 and "PAYSTACK_SECRET_KEY" in debug_but_real.stderr


def test_real_secrets_start_with_the_sandbox_off_and_debug_keeps_it_on():
    result = settings_in_subprocess("print(s.PROVIDERS_SANDBOX)", **PRODUCTION, **REAL_SECRETS)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "False"
    debug = settings_in_subprocess("print(s.PROVIDERS_SANDBOX)", DEBUG="true")
    assert debug.returncode == 0, debug.stderr
    assert debug.stdout.strip().splitlines()[-1] == "True"
    forced = settings_in_subprocess("print(s.PROVIDERS_SANDBOX)", **PRODUCTION, PROVIDERS_SANDBOX="true")
    assert forced.returncode == 0, forced.stderr  # an explicit staging choice, secrets not needed


# --- 3. NUL bytes in a webhook body -----------------------------------------------------------------------------

NUL_TEXT = "\u0000"


def _nul_bodies(reference: str) -> list[bytes]:
    escaped = json.dumps({"event": "charge.success", "data": {"id": 1, "reference": reference + NUL_TEXT}}).encode()
    assert b"\\u0000" in escaped
    raw = b'{"event": "charge.success", "data": {"id": 1, "reference": "' + reference.encode() + b'\x00"}}'
    return [escaped, raw]


def check_nul_bodies_are_refused(member):
    import hashlib
    import hmac

    charge = start_deposit_via_api(member, {"amount": "100.00", "currency": "NGN", "provider": "paystack"})
    mpesa = start_deposit_via_api(
        member, {"amount": "100", "currency": "KES", "provider": "mpesa", "phone_number": "+254712345678"}
    )
    answers = []
    for body in _nul_bodies(charge.reference):
        signature = hmac.new(django_settings.PAYSTACK_SECRET_KEY.encode(), body, hashlib.sha512).hexdigest()
        answers.append(
            APIClient().generic(
                "POST", "/api/v1/webhooks/paystack/", body, "application/json", HTTP_X_PAYSTACK_SIGNATURE=signature
            )
        )
        answers.append(post_flutterwave(body.replace(b"charge.success", b"charge.completed")))
        stk = json.dumps(stk_callback(mpesa, amount=100)).encode().replace(b'"m-1"', b'"m-1\\u0000"')
        answers.append(
            APIClient().generic(
                "POST", f"/api/v1/webhooks/mpesa/{mpesa.callback_token}/", stk if b"\\u" in body else stk + b"\x00"
            )
        )
    for answer in answers:
        assert answer.status_code == 400, answer.content
        error = answer.json()["error"]
        assert error["code"] == "validation_error" and set(error) == {"code", "message", "details"}
    token = APIClient().post("/api/v1/webhooks/mpesa/%00/", stk_callback(mpesa, amount=100), format="json")
    assert token.status_code == 401 and token.json()["error"]["code"] == "signature_invalid"
    assert Charge.objects.filter(status="pending").count() == 2
    assert not ProcessedEvent.objects.exists()
    deliveries = list(WebhookDelivery.objects.all())
    assert len(deliveries) == 7
    for delivery in deliveries:
        assert "\x00" not in delivery.body and delivery.outcome in {"nul_in_body", "unknown_callback_token"}


@pytest.mark.django_db
def test_nul_bytes_in_webhook_bodies_are_400_and_store_nothing_broken(member):
    check_nul_bodies_are_refused(member)


@pytest.mark.postgres
@pytest.mark.django_db
def test_nul_bytes_in_webhook_bodies_are_400_on_postgres(member):
    check_nul_bodies_are_refused(member)


# --- 4. a transfer's PIN token is spent once it reaches the recipient lookup; lookups are rate-limited -------------

TRANSFER_URL = "/api/v1/wallet/transfer/"


def transfer(client, body, token):
    return client.post(TRANSFER_URL, body, HTTP_IDEMPOTENCY_KEY=str(uuid.uuid4()), HTTP_X_PIN_TOKEN=token)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("amount", "handle", "code"),
    [("10.00", "nobody@example.com", "recipient_not_found"), ("20000.00", "known", "limit_exceeded")],
)
def test_a_failed_transfer_spends_its_pin_token(amount, handle, code, ledger_is_clean):
    sender, known = UserFactory(), UserFactory()
    fund_wallet(sender, "1000.00")
    client = client_for(sender)
    token = pin_token(sender)
    recipient = known.email if handle == "known" else handle
    first = transfer(client, {"amount": amount, "currency": "KES", "recipient": recipient}, token)
    assert first.json()["error"]["code"] == code
    probe = transfer(client, {"amount": "10.00", "currency": "KES", "recipient": known.email}, token)
    assert probe.status_code == 403 and probe.json()["error"]["code"] == "pin_invalid"
    assert wallet_balance(user_id=sender.pk, currency="KES") == Decimal("1000.00")


@pytest.mark.django_db
def test_recipient_lookups_are_rate_limited_per_user(settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "recipient_lookup": "3/hour"},
    }
    sender, other = UserFactory(), UserFactory()
    client = client_for(sender)
    for n in range(3):
        answer = transfer(client, {"amount": "1.00", "currency": "KES", "recipient": f"x{n}@example.com"}, "t")
        assert answer.json()["error"]["code"] in {"pin_invalid"}  # a bad token: no lookup, not counted
    for n in range(3):
        answer = transfer(
            client, {"amount": "1.00", "currency": "KES", "recipient": f"x{n}@example.com"}, pin_token(sender)
        )
        assert answer.json()["error"]["code"] == "recipient_not_found"
    token = pin_token(sender)
    limited = transfer(client, {"amount": "1.00", "currency": "KES", "recipient": "x9@example.com"}, token)
    assert limited.status_code == 429
    error = limited.json()["error"]
    assert error["code"] == "throttled" and set(error) == {"code", "message", "details"}
    assert int(limited["Retry-After"]) > 0
    assert "throttled" not in str(
        transfer(
            client_for(other), {"amount": "1.00", "currency": "KES", "recipient": "x@example.com"}, pin_token(other)
        ).json()
    )


# --- 5. a maximum per provider and currency for deposits ----------------------------------------------------------


@pytest.mark.django_db
def test_mpesa_deposit_above_the_stk_maximum_is_400_before_any_charge(member):
    client = client_for(member)
    body = {"amount": "250001", "currency": "KES", "provider": "mpesa", "phone_number": "+254712345678"}
    answer = client.post("/api/v1/wallet/deposit/", body, HTTP_IDEMPOTENCY_KEY=str(uuid.uuid4()))
    assert answer.status_code == 400, answer.json()
    error = answer.json()["error"]
    assert error["code"] == "validation_error" and "amount" in error["details"]
    assert "250,000.00" in error["details"]["amount"][0]
    assert not Charge.objects.exists() and not SandboxPayment.objects.exists()
    body["amount"] = "250000"
    assert client.post("/api/v1/wallet/deposit/", body, HTTP_IDEMPOTENCY_KEY=str(uuid.uuid4())).status_code == 201


@pytest.mark.django_db
def test_card_deposit_caps_are_configurable_per_provider_and_currency(member, settings):
    settings.DEPOSIT_MAXIMUMS = {**settings.DEPOSIT_MAXIMUMS, "paystack": {"NGN": "50000.00"}}
    client = client_for(member)
    over = {"amount": "50000.01", "currency": "NGN", "provider": "paystack"}
    answer = client.post("/api/v1/wallet/deposit/", over, HTTP_IDEMPOTENCY_KEY=str(uuid.uuid4()))
    assert answer.status_code == 400 and answer.json()["error"]["code"] == "validation_error"
    assert not Charge.objects.exists()
    big = {"amount": "50000000.00", "currency": "NGN", "provider": "flutterwave"}  # the default cap
    assert client.post("/api/v1/wallet/deposit/", big, HTTP_IDEMPOTENCY_KEY=str(uuid.uuid4())).status_code == 400
    ok = {"amount": "50000.00", "currency": "NGN", "provider": "paystack"}
    assert client.post("/api/v1/wallet/deposit/", ok, HTTP_IDEMPOTENCY_KEY=str(uuid.uuid4())).status_code == 201


@pytest.mark.django_db
def test_authenticated_bodies_not_shaped_as_documented_are_acknowledged_unreadable(member):
    charge = start_deposit_via_api(
        member, {"amount": "100", "currency": "KES", "provider": "mpesa", "phone_number": "+254712345678"}
    )
    odd = [
        post_flutterwave(b"[1, 2]"),
        post_flutterwave({"event": "charge.completed", "data": ["not", "an", "object"]}),
        post_flutterwave(
            {"event": "charge.completed", "data": {"id": 1, "tx_ref": "x", "amount": "lots", "currency": "KES"}}
        ),
        APIClient().post(
            f"/api/v1/webhooks/mpesa/{charge.callback_token}/", {"Body": {"stkCallback": {}}}, format="json"
        ),
        APIClient().post(f"/api/v1/webhooks/mpesa/{charge.callback_token}/", {"Result": {}}, format="json"),
    ]
    assert [answer.status_code for answer in odd] == [200] * 5
    assert set(WebhookDelivery.objects.values_list("outcome", flat=True)) == {"unreadable"}
    assert Charge.objects.get(pk=charge.pk).status == "pending"


@pytest.mark.django_db
def test_a_nul_in_a_deposit_reference_is_404_not_500(member):
    answer = client_for(member).get("/api/v1/wallet/deposits/PMJ-%00/")
    assert answer.status_code == 404 and answer.json()["error"]["code"] == "not_found"
