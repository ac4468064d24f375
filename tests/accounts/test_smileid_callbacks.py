"""Issue 11: Smile ID callbacks: a body that is not a JSON object is a 400 in the error shape (not a 500); a signed
timestamp older than ten minutes or ahead of our clock is refused (401 `signature_invalid`); a repeated result
changes nothing."""

import json
from datetime import UTC, datetime, timedelta

import pytest
from django.conf import settings
from rest_framework.test import APIClient

from accounts.models import KycStatus, KycSubmission, User
from accounts.providers.smileid.adapter import sign
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/webhooks/smileid/"


def stamp(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def signed(body: dict, at: datetime | None = None) -> dict:
    timestamp = stamp(at or datetime.now(UTC))
    signature = sign(partner_id=settings.SMILE_ID_PARTNER_ID, api_key=settings.SMILE_ID_API_KEY, timestamp=timestamp)
    return {**body, "timestamp": timestamp, "signature": signature}


def post(body) -> object:
    return APIClient().post(URL, json.dumps(body), content_type="application/json")


@pytest.fixture
def submission():
    user = UserFactory()
    return KycSubmission.objects.create(
        user=user,
        country="NG",
        id_type="NIN",
        id_number="12345678901",
        id_number_hash="x",
        first_name="Ada",
        last_name="Obi",
        date_of_birth="1990-04-01",
    )


def result(submission, code="1020", text="Exact Match") -> dict:
    return {"ResultCode": code, "ResultText": text, "PartnerParams": {"job_id": str(submission.pk), "job_type": 5}}


@pytest.mark.parametrize("body", [b"[]", b"null", b'"text"', b"42", b"not json", b""])
def test_a_body_that_is_not_a_json_object_is_400_in_the_error_shape(body):
    response = APIClient().post(URL, body, content_type="application/json")
    assert response.status_code == 400, response.content
    error = response.json()["error"]
    assert error["code"] == "parse_error" and error["message"]


def test_signed_odd_partner_params_do_not_crash(submission):
    response = post(signed({"ResultCode": "1020", "ResultText": "x", "PartnerParams": ["not", "an", "object"]}))
    assert response.status_code == 200
    submission.refresh_from_db()
    assert submission.status == KycStatus.PENDING


@pytest.mark.parametrize(
    "age", [timedelta(minutes=11), timedelta(days=2), -timedelta(minutes=5)], ids=["stale", "old", "future"]
)
def test_a_timestamp_outside_the_window_is_refused(submission, age):
    response = post(signed(result(submission), at=datetime.now(UTC) - age))
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "signature_invalid"
    submission.refresh_from_db()
    assert submission.status == KycStatus.PENDING
    assert User.objects.get(pk=submission.user_id).kyc_tier == 0


@pytest.mark.parametrize("age", [timedelta(minutes=9), -timedelta(seconds=30)], ids=["nine-minutes", "small-skew"])
def test_a_timestamp_inside_the_window_is_accepted(submission, age):
    response = post(signed(result(submission), at=datetime.now(UTC) - age))
    assert response.status_code == 200, response.json()
    submission.refresh_from_db()
    assert submission.status == KycStatus.APPROVED


def test_an_unparseable_timestamp_is_refused(submission):
    body = result(submission)
    timestamp = "yesterday"
    body.update(
        timestamp=timestamp,
        signature=sign(partner_id=settings.SMILE_ID_PARTNER_ID, api_key=settings.SMILE_ID_API_KEY, timestamp=timestamp),
    )
    response = post(body)
    assert response.status_code == 401 and response.json()["error"]["code"] == "signature_invalid"


def test_a_repeated_final_result_changes_nothing(submission):
    assert post(signed(result(submission))).status_code == 200
    submission.refresh_from_db()
    first_update = submission.updated_at
    again = post(signed(result(submission)))
    assert again.status_code == 200 and again.json()["detail"] == "duplicate"
    submission.refresh_from_db()
    assert (submission.status, submission.updated_at) == (KycStatus.APPROVED, first_update)
    assert User.objects.get(pk=submission.user_id).kyc_tier == 2


def test_a_repeated_pending_result_changes_nothing(submission):
    unavailable = result(submission, code="1015", text="ID authority unavailable")
    assert post(signed(unavailable)).json()["detail"] == "still_pending"
    submission.refresh_from_db()
    first_update = submission.updated_at
    again = post(signed(unavailable))
    assert again.status_code == 200 and again.json()["detail"] == "duplicate"
    submission.refresh_from_db()
    assert submission.updated_at == first_update
    assert post(signed(result(submission))).json()["detail"] == "approved"  # a later, final result still counts


def test_a_later_different_result_for_a_settled_job_is_ignored(submission):
    assert post(signed(result(submission))).status_code == 200
    answer = post(signed(result(submission, code="1022", text="No Match")))
    assert answer.status_code == 200 and answer.json()["detail"] == "already_approved"
    submission.refresh_from_db()
    assert submission.status == KycStatus.APPROVED and submission.result_code == "1020"
