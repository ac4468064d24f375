"""Staff resolving a payment review (`PaymentReview`: a provider's answer that differs from our record, a transfer
paid after we returned it, a withdrawal held for a new device). Each review is resolved once, under its row lock."""

from typing import Any

from django.db import models, transaction

from core.errors import ConflictError
from payments.models import ChargeStatus, PaymentReview
from payments.providers.base import PaymentStatus
from payments.services.deposits import apply_charge_result


class ReviewOutcome(models.TextChoices):
    """What staff may decide today. A refund through the provider does not exist yet; a credit already made is
    undone by reversing its ledger transaction."""

    CREDIT = "credit", "Credit the deposit at our recorded amount (the provider confirmed it was paid)"
    REJECT = "reject", "Reject the deposit: it stays uncredited and is marked failed"
    CLOSE = "close", "Close: checked, nothing to move"


def resolve_payment_review(*, review_id: Any, outcome: str, reason: str) -> PaymentReview:
    """Resolve an open review. `credit` and `reject` are for a deposit's review (a charge that was not credited):
    credit posts it as the provider's confirmation would, at our recorded amount, once (`charge:<id>`); reject marks
    a pending charge failed. `close` moves no money (a withdrawal's review; a held withdrawal is released or rejected
    from the withdrawals list, which closes its review)."""
    if outcome not in ReviewOutcome.values:
        raise ConflictError(f"Unknown outcome {outcome!r}.")
    with transaction.atomic():
        review = PaymentReview.objects.select_for_update(of=("self",)).select_related("charge").get(pk=review_id)
        if review.resolved:
            raise ConflictError("This review is already resolved.")
        charge = review.charge
        if outcome != ReviewOutcome.CLOSE:
            if charge is None:
                raise ConflictError("Only a deposit's review can be credited or rejected; close this one.")
            if charge.status == ChargeStatus.SUCCEEDED:
                raise ConflictError("The deposit is already credited; reverse its ledger transaction to undo it.")
        if outcome == ReviewOutcome.CREDIT and charge is not None:
            apply_charge_result(
                charge_id=charge.pk, status=PaymentStatus.SUCCEEDED, amount=charge.amount, currency=charge.currency
            )
        elif outcome == ReviewOutcome.REJECT and charge is not None and charge.status == ChargeStatus.PENDING:
            apply_charge_result(
                charge_id=charge.pk, status=PaymentStatus.FAILED, amount=None, currency=None, message=reason
            )
        review.resolved = True
        review.details = {**review.details, "resolution": {"outcome": outcome, "reason": reason}}
        review.save(update_fields=["resolved", "details"])
    return review
