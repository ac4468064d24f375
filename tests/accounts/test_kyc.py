"""KYC through the Smile ID sandbox: signed callbacks set the tier; tiers limit money going out."""

import json
import uuid
from datetime import UTC, datetime
from decimal import Decimal

import pytest
import respx
from rest_framework.test import APIClient

from accounts.models import KycSubmission
from accounts.providers.smileid.adapter import KycJob, SmileIdConfig, SmileIdProvider, sign
from accounts.providers.smileid.sandbox import SmileIdSandbox
from config.celery import app
from core.errors import ProviderUnavailableError
from payments.selectors import wallet_balance
from tests.factories import UserFactory, pin_token
from tests.fixtures.money import fund_wallet

pytestmark = pytest.mark.django_db

NIN = {
    "country": "NG",
    "id_type": "NIN",
    "id_number": "12345678901",
    "first_name": "Ada",
    "last_name": "Obi",
    "date_of_birth": "1990-04-01",
}


@pytest.fixture(autouse=True)
def _sandbox(settings):
    settings.PROVIDERS_SANDBOX = True
    settings.SANDBOX_DELIVERY = "inprocess"
    eager = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = eager


def client_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user=user)
    return client


def test_exact_match_raises_the_tier_to_full(django_capture_on_commit_callbacks):
    user = UserFactory()
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(user).post("/api/v1/kyc/", NIN, format="json")
    assert response.status_code == 202 and response.json()["status"] == "pending"
    user.refresh_from_db()  # a real request loads the user afresh
    assert client_for(user).get("/api/v1/kyc/").json() == {
        "tier": 2,
        "status": "approved",
        "result_text": "Exact Match",
    }


def test_no_match_is_rejected_and_the_tier_stays(django_capture_on_commit_callbacks):
    user = UserFactory()
    with django_capture_on_commit_callbacks(execute=True):
        client_for(user).post("/api/v1/kyc/", {**NIN, "id_number": "12345670000"}, format="json")
    assert client_for(user).get("/api/v1/kyc/").json()["status"] == "rejected"
    user.refresh_from_db()
    assert user.kyc_tier == 0


def test_id_numbers_are_encrypted_and_id_types_fit_the_country():
    user = UserFactory()
    assert client_for(user).post("/api/v1/kyc/", {**NIN, "id_type": "NATIONAL_ID"}, format="json").status_code == 400
    client_for(user).post("/api/v1/kyc/", NIN, format="json")  # callback not delivered: stays pending
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT id_number FROM accounts_kycsubmission")
        assert "12345678901" not in cursor.fetchone()[0]
    assert client_for(user).post("/api/v1/kyc/", NIN, format="json").status_code == 409


def test_a_forged_callback_is_401_and_changes_nothing():
    user = UserFactory()
    client_for(user).post("/api/v1/kyc/", NIN, format="json")
    job = KycSubmission.objects.get()
    body = {
        "ResultCode": "1020",
        "ResultText": "Exact Match",
        "PartnerParams": {"job_id": str(job.pk)},
        "timestamp": "2026-11-23T10:00:00.000Z",
        "signature": "forged",
    }
    response = APIClient().post("/api/v1/webhooks/smileid/", body, format="json")
    assert response.status_code == 401 and response.json()["error"]["code"] == "signature_invalid"
    job.refresh_from_db()
    assert job.status == "pending"


def test_tier_limits_a_withdrawal_and_a_transfer(settings):
    settings.KYC_LIMITS = {
        "0": {"KES": ["1000", "1500"], "default": ["0", "0"]},
        "1": {"KES": ["5000", "10000"], "default": ["0", "0"]},
        "2": {"KES": ["5000", "10000"], "default": ["0", "0"]},
    }
    user, friend = UserFactory(), UserFactory()
    fund_wallet(user, "9000.00")
    client = client_for(user)

    def withdraw(amount):
        return client.post(
            "/api/v1/wallet/withdraw/",
            {"amount": amount, "currency": "KES", "phone_number": "+254712345678"},
            HTTP_IDEMPOTENCY_KEY=str(uuid.uuid4()),
            HTTP_X_PIN_TOKEN=pin_token(user),
        )

    def transfer(amount):
        return client.post(
            "/api/v1/wallet/transfer/",
            {"amount": amount, "currency": "KES", "recipient": friend.email},
            HTTP_IDEMPOTENCY_KEY=str(uuid.uuid4()),
            HTTP_X_PIN_TOKEN=pin_token(user),
        )

    over_single = withdraw("1001")
    assert over_single.status_code == 403
    error = over_single.json()["error"]
    assert (error["code"], error["details"]["period"], error["details"]["limit"]) == (
        "limit_exceeded",
        "transaction",
        "1000",
    )
    assert withdraw("1000").status_code == 201
    over_day = transfer("600.00")
    assert over_day.json()["error"]["details"]["period"] == "day"
    assert transfer("500.00").status_code == 201
    user.kyc_tier = 1
    user.save(update_fields=["kyc_tier"])
    assert transfer("600.00").status_code == 201  # a higher tier, a higher limit
    assert wallet_balance(user_id=user.pk, currency="KES") == Decimal("6885.00")  # 9000 - 1000 - 15 - 500 - 600


@respx.mock
def test_real_adapter_signs_the_job_and_verifies_callbacks():
    config = SmileIdConfig(partner_id="085", api_key="api-key-1")
    route = respx.post("https://testapi.smileidentity.com/v1/async_id_verification").respond(
        200, json={"success": True}
    )
    provider = SmileIdProvider(config)
    provider.submit(
        KycJob(
            job_id="job-1",
            user_id="u-1",
            country="NG",
            id_type="NIN",
            id_number="12345678901",
            first_name="Ada",
            last_name="Obi",
            date_of_birth="1990-04-01",
            callback_url="https://pamoja.africa/api/v1/webhooks/smileid/",
        )
    )
    sent = json.loads(route.calls.last.request.content)
    assert sent["signature"] == sign(partner_id="085", api_key="api-key-1", timestamp=sent["timestamp"])
    assert (sent["partner_params"], sent["id_type"], sent["source_sdk"]) == (
        {"job_id": "job-1", "user_id": "u-1", "job_type": 5},
        "NIN",
        "rest_api",
    )
    timestamp = "2026-11-23T10:00:00.000Z"
    callback = {
        "ResultCode": "1021",
        "ResultText": "Partial Match",
        "PartnerParams": {"job_id": "job-1"},
        "timestamp": timestamp,
        "signature": sign(partner_id="085", api_key="api-key-1", timestamp=timestamp),
    }
    result = provider.parse_callback(json.dumps(callback).encode(), now=datetime(2026, 11, 23, 10, 5, tzinfo=UTC))
    assert (result.job_id, result.result_code) == ("job-1", "1021")


def test_an_unreachable_provider_leaves_no_pending_submission_and_a_retry_works(
    monkeypatch, django_capture_on_commit_callbacks
):
    """The job is sent after the submission commits (no row lock held during the call); when Smile ID cannot be
    reached the submission is withdrawn, the answer is 503, and the user may simply try again."""
    user = UserFactory()

    def unreachable(self, job):
        raise ProviderUnavailableError("The identity provider could not be reached.")

    with monkeypatch.context() as patched:
        patched.setattr(SmileIdSandbox, "submit", unreachable)
        answer = client_for(user).post("/api/v1/kyc/", NIN, format="json")
    assert answer.status_code == 503 and answer.json()["error"]["code"] == "provider_unavailable"
    assert not KycSubmission.objects.filter(user=user).exists()
    with django_capture_on_commit_callbacks(execute=True):
        again = client_for(user).post("/api/v1/kyc/", NIN, format="json")
    assert again.status_code == 202, again.json()
    user.refresh_from_db()
    assert user.kyc_tier == 2
