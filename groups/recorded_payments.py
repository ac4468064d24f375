"""Money officials take outside the app (cash at a meeting, the group's M-Pesa paybill, a bank deposit): one
official records it, a second confirms it, and only then does it post, from that method's clearing account, to
the member's contributions, a fine or a loan. A receipt number posts once per group (a unique row)."""

from datetime import date
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.utils import timezone

from contributions.models import Penalty, PenaltyStatus
from contributions.services import SettledBy, obligations_within, post_settlement
from groups.errors import GroupStateError, ReceiptAlreadyRecordedError, RecordedPaymentStateError
from groups.loans import repay_loan
from groups.models import (
    GroupStatus,
    Loan,
    Membership,
    MembershipStatus,
    PaymentTarget,
    RecordedPayment,
    RecordedPaymentStatus,
)
from groups.services import require_official
from notifications.services import notify
from payments.models import AccountKind, LedgerAccount
from payments.services import get_house_account


def clearing_account(group, method: str) -> LedgerAccount:
    """Where money taken outside the app is booked in from: one house account per method and currency."""
    return get_house_account(kind=AccountKind.PROVIDER_CLEARING, currency=group.currency, code=f"group-{method}")


def record_payment(
    *,
    actor: Membership,
    member: Membership,
    amount: Decimal,
    method: str,
    receipt_number: str,
    paid_on: date,
    applies_to: str,
    target_id: int | None = None,
) -> RecordedPayment:
    require_official(actor)
    group = actor.group
    if group.status != GroupStatus.ACTIVE:
        raise GroupStateError("Payments are recorded for a running group.")
    if member.group_id != group.pk or member.status == MembershipStatus.LEFT:
        raise GroupStateError("That is not a member of this group.")
    if applies_to in (PaymentTarget.FINE, PaymentTarget.LOAN) and target_id is None:
        raise GroupStateError("Say which fine or loan the payment is for.", details={"field": "target"})
    if applies_to == PaymentTarget.FINE:
        _fine_for(member, target_id)
    if applies_to == PaymentTarget.LOAN:
        _loan_for(member, target_id)
    try:
        with transaction.atomic():
            recorded = RecordedPayment.objects.create(
                group=group,
                member=member,
                amount=amount,
                method=method,
                receipt_number=receipt_number.strip().upper(),
                paid_on=paid_on,
                applies_to=applies_to,
                target_id=target_id,
                recorded_by=actor,
            )
    except IntegrityError as exc:
        raise ReceiptAlreadyRecordedError() from exc
    return recorded


def _fine_for(member: Membership, target_id) -> Penalty:
    fine = Penalty.objects.filter(pk=target_id, membership=member).first()
    if fine is None:
        raise GroupStateError("No such fine for this member.")
    return fine


def _loan_for(member: Membership, target_id) -> Loan:
    loan = Loan.objects.filter(pk=target_id, borrower=member).select_related("group", "borrower").first()
    if loan is None:
        raise GroupStateError("No such loan for this member.")
    return loan


def confirm_payment(*, actor: Membership, payment: RecordedPayment) -> RecordedPayment:
    """The checker: another official. Posts the money: whole obligations oldest first (contributions), the fine
    (anything beyond it to the member's wallet), or a loan repayment."""
    require_official(actor)
    with transaction.atomic():
        payment = (
            RecordedPayment.objects.select_for_update(no_key=True, of=("self",))
            .select_related("group", "member__group")
            .get(pk=payment.pk)
        )
        _check_pending(payment, actor)
        source = clearing_account(payment.group, payment.method)
        member = (
            Membership.objects.select_for_update(no_key=True, of=("self",))
            .select_related("group")
            .get(pk=payment.member_id)
        )
        note = {"recorded_payment": payment.pk, "receipt": payment.receipt_number, "method": payment.method}
        if payment.applies_to == PaymentTarget.LOAN:
            posted = repay_loan(loan=_loan_for(member, payment.target_id), amount=payment.amount, source=source)
        else:
            fine = _fine_for(member, payment.target_id) if payment.applies_to == PaymentTarget.FINE else None
            if fine is not None and fine.status != PenaltyStatus.OWED:
                raise RecordedPaymentStateError("That fine is no longer owed.")
            owed = obligations_within(membership=member, amount=payment.amount, penalty=fine)
            settled = post_settlement(
                membership=member,
                owed=owed,
                source=source,
                settled_by=SettledBy.RECORDED,
                remainder=payment.amount - owed.total,
                metadata=note,
            )
            posted = settled.ledger_transaction
        payment.status = RecordedPaymentStatus.CONFIRMED
        payment.decided_by = actor
        payment.decided_at = timezone.now()
        payment.ledger_transaction = posted
        payment.save(update_fields=["status", "decided_by", "decided_at", "ledger_transaction"])
    notify(
        user=member.user,
        kind="payment_recorded",
        title=f"{member.group.name}: your {payment.get_method_display().lower()} payment is in",
        body=f"{member.group.currency} {payment.amount}, receipt {payment.receipt_number}.",
        data={"group": str(member.group_id), "recorded_payment": payment.pk},
    )
    return payment


def reject_payment(*, actor: Membership, payment: RecordedPayment, reason: str) -> RecordedPayment:
    """Either official (maker or checker) rejects, with a reason; nothing posts and the receipt may be recorded
    again correctly."""
    require_official(actor)
    with transaction.atomic():
        payment = RecordedPayment.objects.select_for_update(no_key=True, of=("self",)).get(pk=payment.pk)
        if payment.status != RecordedPaymentStatus.PENDING:
            raise RecordedPaymentStateError("Only a pending payment can be rejected.")
        payment.status = RecordedPaymentStatus.REJECTED
        payment.decided_by = None if actor.pk == payment.recorded_by_id else actor
        payment.rejection_reason = reason
        payment.decided_at = timezone.now()
        payment.save(update_fields=["status", "decided_by", "rejection_reason", "decided_at"])
        return payment


def _check_pending(payment: RecordedPayment, actor: Membership) -> None:
    if payment.status != RecordedPaymentStatus.PENDING:
        raise RecordedPaymentStateError("This payment has already been decided.")
    if payment.recorded_by_id == actor.pk:
        raise RecordedPaymentStateError("A second official must confirm a payment you recorded.")
