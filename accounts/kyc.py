"""KYC: identity data to Smile ID, its signed callback sets the status and the user's tier; tiers set limits."""

import uuid
from collections.abc import Mapping
from datetime import date
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.urls import reverse

from accounts.models import KycStatus, KycSubmission, User
from accounts.providers.registry import get_smileid
from accounts.providers.smileid.adapter import (
    RESULTS,
    KycJob,
    KycResult,
    SmileIdPayloadError,
    SmileIdProvider,
    SmileIdSignatureError,
)
from accounts.signals import user_message
from config.encryption import keyed_hash
from core import webhooks
from core.errors import ConflictError, ProviderUnavailableError
from core.models import WebhookDelivery


def submit_kyc(
    *,
    user: User,
    country: str,
    id_type: str,
    id_number: str,
    first_name: str,
    last_name: str,
    date_of_birth: date,
) -> KycSubmission:
    """One pending submission at a time; the provider answers later, on our signed callback.

    The submission is written under the user's row lock, then sent to the provider after commit, with no lock
    held: a slow provider never holds a row (hence a durable block: never inside a caller's transaction). If it
    cannot be reached, the submission is withdrawn (as if never made) and the error answered, so the user may
    try again."""
    with transaction.atomic(durable=True):
        User.objects.select_for_update().only("pk").get(pk=user.pk)
        if KycSubmission.objects.filter(user=user, status=KycStatus.PENDING).exists():
            raise ConflictError("A verification is already under way.")
        if user.kyc_tier >= 2:
            raise ConflictError("Your identity is already fully verified.")
        submission = KycSubmission.objects.create(
            id=uuid.uuid4(),
            user=user,
            country=country,
            id_type=id_type,
            id_number=id_number,
            id_number_hash=keyed_hash(f"{country}:{id_type}:{id_number}"),
            first_name=first_name,
            last_name=last_name,
            date_of_birth=date_of_birth,
        )
    job = KycJob(
        job_id=str(submission.pk),
        user_id=str(user.pk),
        country=country,
        id_type=id_type,
        id_number=id_number,
        first_name=first_name,
        last_name=last_name,
        date_of_birth=date_of_birth.isoformat(),
        callback_url=f"{settings.SITE_URL}{reverse('webhook-smileid')}",
    )
    try:
        get_smileid().submit(job)
    except ProviderUnavailableError:
        KycSubmission.objects.filter(pk=submission.pk, status=KycStatus.PENDING).delete()
        raise
    return submission


def receive_smileid_callback(*, headers: Mapping[str, str], body: bytes) -> str:
    """Smile ID's result callback through core's pipeline: stored raw, its signature checked, a result already
    processed skipped, then applied. Raises SmileIdPayloadError for a body that is not a JSON object and
    SmileIdSignatureError for a forged or stale one; either way nothing changed but the delivery's record."""
    smileid = get_smileid()

    def verify(delivery: WebhookDelivery) -> list[KycResult]:
        try:
            return [smileid.parse_callback(body)]
        except SmileIdPayloadError as exc:
            raise webhooks.Stop("unreadable", error=exc) from exc
        except SmileIdSignatureError as exc:
            raise webhooks.Stop("signature_invalid", error=exc) from exc

    return webhooks.receive(
        provider=smileid.name,
        headers=headers,
        body=body,
        verify=verify,
        handle=lambda result: apply_kyc_result(result=result),
    )


def apply_kyc_result(*, result: KycResult) -> str:
    """Settle a pending submission once; an approval raises the user's tier (never lowers it). A result already
    applied (Smile ID retrying, or a replay) answers "duplicate" and writes nothing. What changes a submission
    claims its event in the same transaction, so the pipeline skips it when it comes again."""
    try:
        job_id = uuid.UUID(result.job_id)
    except ValueError:
        return "unknown_job"
    with transaction.atomic():
        submission = KycSubmission.objects.select_for_update().filter(pk=job_id).first()
        if submission is None:
            return "unknown_job"
        if submission.result_code == result.result_code:
            return "duplicate"
        if submission.status != KycStatus.PENDING:
            return f"already_{submission.status}"
        if not webhooks.claim_event(provider=SmileIdProvider.name, event_id=result.event_id):
            return webhooks.DUPLICATE
        submission.result_code, submission.result_text = result.result_code, result.result_text[:255]
        if result.result_code not in RESULTS:
            submission.save(update_fields=["result_code", "result_text", "updated_at"])
            return "still_pending"
        approved, tier = RESULTS[result.result_code]
        submission.status = KycStatus.APPROVED if approved else KycStatus.REJECTED
        submission.tier_granted = tier
        submission.save(update_fields=["status", "result_code", "result_text", "tier_granted", "updated_at"])
        if approved:
            User.objects.filter(pk=submission.user_id, kyc_tier__lt=tier).update(kyc_tier=tier)
        user_message.send(
            sender=User,
            user=submission.user,
            event="kyc_approved" if approved else "kyc_rejected",
            context={"tier": dict(User._meta.get_field("kyc_tier").flatchoices).get(tier, str(tier))}
            if approved
            else {"reason": submission.result_text},
            key=f"kyc:{submission.pk}",
        )
        return submission.status


STAFF_RESULT_CODE = "staff"


def decide_kyc_submission(*, submission_id, approve: bool, reason: str, tier: int = 2) -> KycSubmission:
    """Staff: settle a pending submission themselves (Smile ID could not, or was wrong to wait), once. An approval
    raises the user's tier to `tier` (never lowers it); the user is told either way, as by the callback. A result
    that reaches Smile ID's callback later finds it settled and changes nothing."""
    if tier not in (1, 2):
        raise ConflictError("A tier is 1 (basic) or 2 (full).")
    with transaction.atomic():
        submission = KycSubmission.objects.select_for_update().select_related("user").get(pk=submission_id)
        if submission.status != KycStatus.PENDING:
            raise ConflictError(f"This submission is already {submission.status}.")
        submission.status = KycStatus.APPROVED if approve else KycStatus.REJECTED
        submission.tier_granted = tier if approve else 0
        submission.result_code, submission.result_text = STAFF_RESULT_CODE, reason[:255]
        submission.save(update_fields=["status", "result_code", "result_text", "tier_granted", "updated_at"])
        if approve:
            User.objects.filter(pk=submission.user_id, kyc_tier__lt=tier).update(kyc_tier=tier)
        user_message.send(
            sender=User,
            user=submission.user,
            event="kyc_approved" if approve else "kyc_rejected",
            context={"tier": dict(User._meta.get_field("kyc_tier").flatchoices).get(tier, str(tier))}
            if approve
            else {"reason": "Your identity could not be verified."},
            key=f"kyc:{submission.pk}",
        )
    return submission


def money_limits(*, user: User, currency: str) -> tuple[Decimal, Decimal]:
    """(single transaction, per day) that the user's tier may move out of the wallet in `currency`."""
    tier = settings.KYC_LIMITS[str(user.kyc_tier)]
    single, daily = tier.get(currency, tier["default"])
    return Decimal(single), Decimal(daily)
