"""Smile ID's sandbox: it accepts a job and, through Celery, calls our callback with a correctly signed result."""

import json

from celery import shared_task
from django.conf import settings
from django.db import transaction

from accounts.providers.smileid.adapter import KycJob, SmileIdConfig, SmileIdProvider, now_timestamp, sign
from core.sandbox_delivery import deliver


class SmileIdSandbox(SmileIdProvider):
    """Accepts the job and, through Celery, calls our callback with a correctly signed result: an ID number
    ending in 0000 is No Match (1022); any other is Exact Match (1020)."""

    def submit(self, job: KycJob) -> None:
        code, text = ("1022", "No Match") if job.id_number.endswith("0000") else ("1020", "Exact Match")
        transaction.on_commit(lambda: deliver_smileid_result.delay(job.job_id, job.callback_url, code, text))

    def result_body(self, *, job_id: str, code: str, text: str) -> bytes:
        timestamp = now_timestamp()
        return json.dumps(
            {
                "ResultCode": code,
                "ResultText": text,
                "PartnerParams": {"job_id": job_id, "job_type": 5},
                "SmileJobID": f"sbx-{job_id[:8]}",
                "timestamp": timestamp,
                "signature": sign(partner_id=self.config.partner_id, api_key=self.config.api_key, timestamp=timestamp),
            }
        ).encode()


@shared_task(name="accounts.deliver_smileid_result", autoretry_for=(OSError,), retry_backoff=2, max_retries=5)
def deliver_smileid_result(job_id: str, callback_url: str, code: str, text: str) -> int:
    """The Smile ID sandbox calling our callback, signed, as the real service would."""
    sandbox = SmileIdSandbox(
        SmileIdConfig(
            partner_id=settings.SMILE_ID_PARTNER_ID,
            api_key=settings.SMILE_ID_API_KEY,
            base_url=settings.SMILE_ID_BASE_URL,
        )
    )
    return deliver(callback_url, sandbox.result_body(job_id=job_id, code=code, text=text), {})
