"""Money officials take outside the app (cash at a meeting, the group's own M-Pesa paybill, a bank deposit into
the group's account) and cash they hand out of it: one official records it, a second confirms it, and only then
does it post. A receipt number posts once per group (a unique row).

That money is not held by Pamoja, so it is never e-money: it lives in the group's cash book (one guarded account
per method, owned by the group) against an off-platform counterpart, settles dues, fines and loans there, and
leaves only as a recorded cash payout. It never reaches a wallet, the pot, income or a withdrawal; the ledger
itself refuses a posting that mixes the two.
"""

from datetime import date
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.utils import timezone

from contributions.errors import ReceiptAlreadyRecordedError, RecordedAmountTooLargeError, RecordedPaymentStateError
from contributions.models import (
    Loan,
    LoanStatus,
    PaymentMethod,
    PaymentTarget,
    Penalty,
    PenaltyStatus,
    RecordedPayment,
    RecordedPaymentStatus,
)
from contributions.services.ledger import post_for_group
from contributions.services.loans import payoff_amount, repay_loan
from contributions.services.settlement import obligations_within, outstanding_total, post_cash_settlement
from core.clock import local_today
from groups.errors import GroupStateError
from groups.models import OFFICIAL_ROLES, GroupStatus, Membership, MembershipStatus, SavingsGroup
from groups.notices import group_context, name_of
from groups.plans import require_feature
from groups.services import require_official
from notifications.rendering import money_text
from notifications.services import notify
from payments.models import AccountKind, LedgerAccount, LedgerTransaction, TransactionKind
from payments.services import Leg, get_house_account, get_owned_account

# How a method reads in a sentence ("paid by cash", "your M-Pesa paybill payment"); its label is for forms.
METHOD_WORDS: dict[str, str] = {
    PaymentMethod.CASH: "cash",
    PaymentMethod.MPESA_PAYBILL: "M-Pesa paybill",
    PaymentMethod.BANK: "bank deposit",
}


def cash_book_of(group: SavingsGroup, method: str) -> LedgerAccount:
    """The cash officials hold for the group, per method: guarded, so no cash payout ever exceeds it."""
    return get_owned_account(
        kind=AccountKind.GROUP_CASH_BOOK, owner_type="group", owner_id=group.pk, currency=group.currency, code=method
    )


def off_platform_account(group: SavingsGroup, method: str) -> LedgerAccount:
    """The outside world's side of the cash book: where recorded cash comes from and goes back to."""
    return get_house_account(kind=AccountKind.OFF_PLATFORM, currency=group.currency, code=method)


def _cash_book_balance(group: SavingsGroup, method: str) -> Decimal:
    return LedgerAccount.objects.filter(
        kind=AccountKind.GROUP_CASH_BOOK,
        owner_type="group",
        owner_id=str(group.pk),
        currency=group.currency,
        code=method,
    ).values_list("balance", flat=True).first() or Decimal("0")


def _check_amount(
    *, group: SavingsGroup, member: Membership, amount: Decimal, method: str, applies_to: str, target_id: int | None
) -> None:
    """The most a recorded payment may be: what it can settle (or, out of the cash book, what the book holds)."""
    if applies_to == PaymentTarget.FINE:
        fine = _fine_for(member, target_id)
        if fine.status != PenaltyStatus.OWED:
            raise GroupStateError("That fine is no longer owed.")
        if amount != fine.amount:
            raise GroupStateError(
                "A fine is paid whole: record exactly its amount.", details={"amount": str(fine.amount)}
            )
        return
    if applies_to == PaymentTarget.LOAN:
        loan = _loan_for(member, target_id)
        if loan.status != LoanStatus.DISBURSED:
            raise GroupStateError("Only a disbursed loan is repaid.")
        most = payoff_amount(loan, local_today(group.tz))
    elif applies_to == PaymentTarget.CASH_PAYOUT:
        most = _cash_book_balance(group, method)
    else:
        most = outstanding_total(membership=member)
    if amount > most:
        raise RecordedAmountTooLargeError(details={"max": str(most), "currency": group.currency})


def _check_group_takes(group: SavingsGroup, applies_to: str) -> None:
    """Cash comes in while the group runs; it may go out after it completes too (the last cycle's cash shares,
    what was left unapplied), and to a member who has since left."""
    open_states = (
        (GroupStatus.ACTIVE, GroupStatus.COMPLETED)
        if applies_to == PaymentTarget.CASH_PAYOUT
        else (GroupStatus.ACTIVE,)
    )
    if group.status not in open_states:
        raise GroupStateError("Payments are recorded for a running group; cash is handed out until it is settled.")
    if group.is_savings and applies_to in (PaymentTarget.CONTRIBUTION, PaymentTarget.CASH_PAYOUT):
        # savings are shared out of the pot's e-money: cash in an official's hands would be shared out of the
        # other members' savings
        raise GroupStateError("A savings group's savings are paid into the pot (wallet or M-Pesa), not in cash.")


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
    require_feature(group, "recorded_payments")
    _check_group_takes(group, applies_to)
    handing_out = applies_to == PaymentTarget.CASH_PAYOUT
    if member.group_id != group.pk or (member.status == MembershipStatus.LEFT and not handing_out):
        raise GroupStateError("That is not a member of this group.")
    if applies_to in (PaymentTarget.FINE, PaymentTarget.LOAN) and target_id is None:
        raise GroupStateError("Say which fine or loan the payment is for.", details={"field": "target"})
    if applies_to == PaymentTarget.CASH_PAYOUT:
        target_id = None
    _check_amount(group=group, member=member, amount=amount, method=method, applies_to=applies_to, target_id=target_id)
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
            if not handing_out:
                _ask_to_confirm(recorded=recorded, actor=actor, member=member)
    except IntegrityError as exc:
        raise ReceiptAlreadyRecordedError() from exc
    return recorded


def _ask_to_confirm(*, recorded: RecordedPayment, actor: Membership, member: Membership) -> None:
    """Every other active official may be the second who confirms. A cash payout asks nobody: the event's words
    say the member paid, which is the wrong way round for cash handed to them."""
    group = recorded.group
    context = {
        **group_context(group),
        "amount": money_text(recorded.amount, group.currency),
        "member": name_of(member.user),
        "method": METHOD_WORDS.get(recorded.method, recorded.method),
    }
    for official in (
        group.memberships.select_related("user")
        .filter(status=MembershipStatus.ACTIVE, role__in=OFFICIAL_ROLES)
        .exclude(pk=actor.pk)
    ):
        notify(user=official.user, event="payment_to_confirm", context=context, key=f"to-confirm:{recorded.pk}")


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
    """The checker: another official. Posts into (or, for a cash payout, out of) the group's cash book: whole
    obligations oldest first (contributions), the fine, or a loan repayment; what settles nothing stays in the
    cash book, unapplied."""
    require_official(actor)
    with transaction.atomic():
        payment = (
            RecordedPayment.objects.select_for_update(no_key=True, of=("self",))
            .select_related("group", "member__group")
            .get(pk=payment.pk)
        )
        _check_pending(payment, actor)
        group = payment.group
        _check_group_takes(group, payment.applies_to)
        member = (
            Membership.objects.select_for_update(no_key=True, of=("self",))
            .select_related("group")
            .get(pk=payment.member_id)
        )
        source = off_platform_account(group, payment.method)
        cash_book = cash_book_of(group, payment.method)
        note = {"recorded_payment": payment.pk, "receipt": payment.receipt_number, "method": payment.method}
        applied = payment.amount
        posted: LedgerTransaction | None  # a Settlement's is optional (unset until it is posted)
        if payment.applies_to == PaymentTarget.CASH_PAYOUT:
            posted = post_for_group(
                group=group,
                kind=TransactionKind.PAYOUT,
                legs=[Leg(cash_book, -payment.amount), Leg(source, payment.amount)],
                idempotency_key=f"cash-payout:{payment.pk}",
                what="cash handed out by an official",
                member_id=member.pk,
                **note,
            )
        elif payment.applies_to == PaymentTarget.LOAN:
            posted = repay_loan(
                loan=_loan_for(member, payment.target_id),
                amount=payment.amount,
                source=source,
                cash_book=cash_book,
                metadata=note,
            )
        else:
            fine = _fine_for(member, payment.target_id) if payment.applies_to == PaymentTarget.FINE else None
            if fine is not None and (fine.status != PenaltyStatus.OWED or fine.amount != payment.amount):
                raise RecordedPaymentStateError("That fine is no longer owed as recorded.")
            owed = obligations_within(membership=member, amount=payment.amount, penalty=fine)
            applied = owed.total
            posted = post_cash_settlement(
                membership=member,
                owed=owed,
                amount=payment.amount,
                source=source,
                cash_book=cash_book,
                recorded_payment_id=payment.pk,
                metadata=note,
            ).ledger_transaction
        payment.status = RecordedPaymentStatus.CONFIRMED
        payment.decided_by = actor
        payment.decided_at = timezone.now()
        payment.ledger_transaction = posted
        payment.applied_amount = applied
        payment.save(update_fields=["status", "decided_by", "decided_at", "ledger_transaction", "applied_amount"])
        _tell_confirmed(payment=payment, member=member)
    return payment


def _tell_confirmed(*, payment: RecordedPayment, member: Membership) -> None:
    group = payment.group
    context = {
        **group_context(group),
        "amount": money_text(payment.amount, group.currency),
        "receipt": payment.receipt_number,
    }
    if payment.applies_to == PaymentTarget.CASH_PAYOUT:
        notify(user=member.user, event="cash_paid_out", context=context, key=f"recorded:{payment.pk}")
    else:
        notify(
            user=member.user,
            event="payment_recorded",
            context={**context, "method": METHOD_WORDS.get(payment.method, payment.method)},
            key=f"recorded:{payment.pk}",
        )


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
