"""Smile ID Enhanced KYC (async): signed job submission and signed result callbacks.

signature = base64(HMAC-SHA256(key=API key, msg=timestamp + partner_id + "sid_request")), timestamp ISO 8601;
callbacks carry `signature` and `timestamp` and are verified the same way. The signature covers the timestamp,
not the body, so a callback is accepted only while its timestamp is fresh: at most CALLBACK_MAX_AGE old and
CALLBACK_MAX_SKEW ahead of our clock.
"""

import base64
import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import httpx

from core.errors import ProviderUnavailableError

# Result code → (approved?, tier granted). 1015 (ID authority unavailable) is left pending.
RESULTS = {
    "1020": (True, 2),  # Exact Match
    "1021": (True, 1),  # Partial Match
    "1012": (True, 1),  # Valid ID
    "1013": (False, 0),  # Unable to validate ID
    "1014": (False, 0),  # Unsupported ID format
    "1022": (False, 0),  # No Match
    "1023": (False, 0),  # Not Found
}


CALLBACK_MAX_AGE = timedelta(minutes=10)
CALLBACK_MAX_SKEW = timedelta(minutes=1)


class SmileIdSignatureError(Exception):
    pass


class SmileIdPayloadError(ValueError):
    """The callback body is not a JSON object."""


@dataclass(frozen=True)
class SmileIdConfig:
    partner_id: str
    api_key: str
    base_url: str = "https://testapi.smileidentity.com/v1"
    timeout: float = 15.0


@dataclass(frozen=True)
class KycJob:
    job_id: str
    user_id: str
    country: str
    id_type: str
    id_number: str
    first_name: str
    last_name: str
    date_of_birth: str  # YYYY-MM-DD
    callback_url: str


@dataclass(frozen=True)
class KycResult:
    job_id: str
    result_code: str
    result_text: str

    @property
    def event_id(self) -> str:
        """Smile ID numbers no callback: a job reports each result once (a pending one, then the final one), so
        the job and its result code name the event; Smile ID sending it again is a repeat."""
        return f"{self.job_id}:{self.result_code}"


def sign(*, partner_id: str, api_key: str, timestamp: str) -> str:
    digest = hmac.new(api_key.encode(), f"{timestamp}{partner_id}sid_request".encode(), hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def now_timestamp() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


RESULT_CODE_LENGTH = 8  # the submission's column


class SmileIdProvider:
    name = "smileid"

    def __init__(self, config: SmileIdConfig, client: httpx.Client | None = None):
        self.config = config
        self.client = client or httpx.Client(timeout=config.timeout)

    def submit(self, job: KycJob) -> None:
        timestamp = now_timestamp()
        body = {
            "partner_id": self.config.partner_id,
            "source_sdk": "rest_api",
            "source_sdk_version": "1.0.0",
            "signature": sign(partner_id=self.config.partner_id, api_key=self.config.api_key, timestamp=timestamp),
            "timestamp": timestamp,
            "country": job.country,
            "id_type": job.id_type,
            "id_number": job.id_number,
            "callback_url": job.callback_url,
            "first_name": job.first_name,
            "last_name": job.last_name,
            "dob": job.date_of_birth,
            "partner_params": {"job_id": job.job_id, "user_id": job.user_id, "job_type": 5},
        }
        try:
            response = self.client.post(f"{self.config.base_url}/async_id_verification", json=body)
        except httpx.TransportError as exc:
            raise ProviderUnavailableError("The identity provider could not be reached.") from exc
        if response.status_code >= 400:
            raise ProviderUnavailableError(f"The identity provider refused the job ({response.status_code}).")

    def parse_callback(self, body: bytes, *, now: datetime | None = None) -> KycResult:
        """The result of a signed, fresh callback. SmileIdPayloadError if the body is not a JSON object,
        SmileIdSignatureError if the signature is missing or wrong or its timestamp is stale or ahead of us."""
        try:
            payload = json.loads(body)
        except (TypeError, ValueError) as exc:  # ValueError: bad JSON or bad UTF-8
            raise SmileIdPayloadError("The callback body is not valid JSON.") from exc
        if not isinstance(payload, dict):
            raise SmileIdPayloadError("The callback body must be a JSON object.")
        timestamp, signature = str(payload.get("timestamp", "")), str(payload.get("signature", ""))
        expected = sign(partner_id=self.config.partner_id, api_key=self.config.api_key, timestamp=timestamp)
        if not timestamp or not signature or not hmac.compare_digest(signature, expected):
            raise SmileIdSignatureError("signature missing or wrong")
        _check_fresh(timestamp, now=now or datetime.now(UTC))
        params = payload.get("PartnerParams")
        params = params if isinstance(params, dict) else {}
        result_code = str(payload.get("ResultCode", ""))
        if len(result_code) > RESULT_CODE_LENGTH:
            raise SmileIdPayloadError(f"ResultCode is at most {RESULT_CODE_LENGTH} characters (Smile ID's are four).")
        return KycResult(
            job_id=str(params.get("job_id", ""))[:64],
            result_code=result_code,
            result_text=str(payload.get("ResultText", "")),
        )


def _check_fresh(timestamp: str, *, now: datetime) -> None:
    try:
        sent_at = datetime.fromisoformat(timestamp)
    except ValueError as exc:
        raise SmileIdSignatureError("timestamp not ISO 8601") from exc
    if sent_at.tzinfo is None:
        sent_at = sent_at.replace(tzinfo=UTC)
    if not now - CALLBACK_MAX_AGE <= sent_at <= now + CALLBACK_MAX_SKEW:
        raise SmileIdSignatureError("timestamp outside the accepted window (replayed or clock skew)")
