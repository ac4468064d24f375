"""The Smile ID callback through core's webhook pipeline: every delivery is stored as it came with its outcome, a
repeated result is skipped before it reaches KYC, and a forged or unreadable one is kept and changes nothing."""

import json
from datetime import UTC, datetime

import pytest
from django.conf import settings
from django.db import connection
from rest_framework.test import APIClient

from accounts import kyc
from accounts.models import KycStatus, KycSubmission, User
from accounts.providers.smileid.adapter import sign
from accounts.providers.smileid.sandbox import SmileIdSandbox
from core.models import ProcessedEvent, WebhookDelivery
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/webhooks/smileid/"


def signed(submission: KycSubmission, code: str = "1020", text: str = "Exact Match") -> dict:
    timestamp = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
    signature = sign(partner_id=settings.SMILE_ID_PARTNER_ID, api_key=settings.SMILE_ID_API_KEY, timestamp=timestamp)
    return {
        "ResultCode": code,
        "ResultText": text,
        "PartnerParams": {"job_id": str(submission.pk), "job_type": 5},
        "timestamp": timestamp,
        "signature": signature,
    }


def post(body: bytes, **headers: str):
    return APIClient().post(URL, body, content_type="application/json", headers=headers)


@pytest.fixture
def submission() -> KycSubmission:
    return KycSubmission.objects.create(
        user=UserFactory(),
        country="NG",
        id_type="NIN",
        id_number="12345678901",
        id_number_hash="x",
        first_name="Ada",
        last_name="Obi",
        date_of_birth="1990-04-01",
    )


def test_the_raw_delivery_is_stored_with_its_outcome(submission):
    body = json.dumps(signed(submission)).encode()
    response = post(body, user_agent="SmileID/1.0", authorization="Bearer not-ours-to-keep")
    assert response.status_code == 200 and response.json() == {"detail": "approved"}
    delivery = WebhookDelivery.objects.get()
    assert (delivery.provider, delivery.body, delivery.outcome) == ("smileid", body.decode(), "approved")
    assert delivery.signature_valid
    assert {name.lower() for name in delivery.headers} == {"content-type", "user-agent"}
    event = ProcessedEvent.objects.get()
    assert (event.provider, event.event_id) == ("smileid", f"{submission.pk}:1020")


def test_a_repeated_result_is_skipped_before_kyc_sees_it(submission, monkeypatch):
    body = json.dumps(signed(submission)).encode()
    assert post(body).json()["detail"] == "approved"
    submission.refresh_from_db()
    first_update = submission.updated_at

    def must_not_run(*, result):
        raise AssertionError("a repeated result reached KYC")

    monkeypatch.setattr(kyc, "apply_kyc_result", must_not_run)
    again = post(body)
    assert again.status_code == 200 and again.json() == {"detail": "duplicate"}
    submission.refresh_from_db()
    assert (submission.status, submission.updated_at) == (KycStatus.APPROVED, first_update)
    assert User.objects.get(pk=submission.user_id).kyc_tier == 2
    assert list(WebhookDelivery.objects.order_by("pk").values_list("outcome", flat=True)) == ["approved", "duplicate"]
    assert ProcessedEvent.objects.count() == 1


def test_a_pending_then_a_final_result_are_two_events(submission):
    assert post(json.dumps(signed(submission, "1015", "ID authority unavailable")).encode()).json() == {
        "detail": "still_pending"
    }
    assert post(json.dumps(signed(submission)).encode()).json() == {"detail": "approved"}
    assert set(ProcessedEvent.objects.values_list("event_id", flat=True)) == {
        f"{submission.pk}:1015",
        f"{submission.pk}:1020",
    }


def test_a_bad_signature_is_stored_refused_and_changes_nothing(submission):
    forged = {**signed(submission), "signature": "Zm9yZ2Vk"}
    body = json.dumps(forged).encode()
    response = post(body)
    assert response.status_code == 401 and response.json()["error"]["code"] == "signature_invalid"
    delivery = WebhookDelivery.objects.get()
    assert (delivery.provider, delivery.body, delivery.outcome) == ("smileid", body.decode(), "signature_invalid")
    assert not delivery.signature_valid
    submission.refresh_from_db()
    assert (submission.status, submission.result_code) == (KycStatus.PENDING, "")
    assert User.objects.get(pk=submission.user_id).kyc_tier == 0
    assert not ProcessedEvent.objects.exists()


def test_a_signed_result_code_longer_than_any_smile_id_code_is_refused_not_a_crash(submission):
    response = post(json.dumps(signed(submission, code="1" * 500)).encode())
    assert response.status_code == 400 and response.json()["error"]["code"] == "parse_error"
    assert WebhookDelivery.objects.get().outcome == "unreadable"
    submission.refresh_from_db()
    assert (submission.status, submission.result_code) == (KycStatus.PENDING, "")
    assert not ProcessedEvent.objects.exists()


def test_a_body_with_nul_characters_is_stored_readable_and_answered_400():
    response = post(b'{"ResultCode": "1020\x00"}')
    assert response.status_code == 400 and response.json()["error"]["code"] == "parse_error"
    delivery = WebhookDelivery.objects.get()
    assert (delivery.body, delivery.outcome) == ('{"ResultCode": "1020\ufffd"}', "unreadable")


@pytest.mark.django_db(transaction=True)
def test_the_delivery_is_committed_before_handling_fails(submission, monkeypatch):
    """Outside any test transaction: a handler that breaks leaves the delivery stored, unfinished, to replay."""

    def broken(*, result):
        raise RuntimeError("the database went away")

    monkeypatch.setattr(kyc, "apply_kyc_result", broken)
    assert post(json.dumps(signed(submission)).encode()).status_code == 500
    delivery = WebhookDelivery.objects.get()
    assert (delivery.provider, delivery.outcome) == ("smileid", "")
    assert not ProcessedEvent.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_the_job_goes_to_the_provider_with_no_transaction_open(monkeypatch):
    """Outside any test transaction: while Smile ID is called, no row lock of ours can be held."""
    calls = []
    monkeypatch.setattr(SmileIdSandbox, "submit", lambda self, job: calls.append(connection.in_atomic_block))
    client = APIClient()
    client.force_authenticate(user=UserFactory())
    payload = {
        "country": "NG",
        "id_type": "NIN",
        "id_number": "12345678901",
        "first_name": "Ada",
        "last_name": "Obi",
        "date_of_birth": "1990-04-01",
    }
    response = client.post("/api/v1/kyc/", payload, format="json")
    assert response.status_code == 202, response.json()
    assert calls == [False]
