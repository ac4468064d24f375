"""Group loans: the schedule, applying, guarantors, two officials' approval, disbursement from the pot,
repayments (late fee → interest → principal, instalment by instalment), late fees, early payoff, write-off.

The ledger: disbursing posts pot -P, borrower's wallet +P, and the loan's receivable +P against the house account
`loans_issued` -P, so the books always show what members owe their groups. A repayment moves money from the
payer's wallet (or the cash clearing account, for a payment an official recorded) into the pot (interest and
principal) and penalty income (late fees), and brings the receivable down by the principal repaid.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Literal, overload

from dateutil.relativedelta import relativedelta
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from contributions.errors import LoanRefusedError, LoanStateError, RepaymentTooLargeError
from contributions.models import (
    Contribution,
    ContributionStatus,
    CycleStatus,
    DecisionKind,
    GuaranteeStatus,
    InstalmentStatus,
    Loan,
    LoanDecision,
    LoanGuarantee,
    LoanInstalment,
    LoanStatus,
    SavingsTopUp,
    SettledBy,
)
from contributions.services.ledger import post_for_group, pot_of
from core.clock import local_today
from core.errors import InsufficientFundsError
from core.money import allocate, minor_unit, round_money
from groups.errors import NotAnOfficialError
from groups.models import OFFICIAL_ROLES, GroupStatus, InterestMethod, Membership, MembershipStatus, SavingsGroup
from groups.notices import as_sentence, group_context, name_of
from groups.plans import require_feature
from groups.services import require_official
from notifications.rendering import money_text
from notifications.services import notify
from payments.models import AccountKind, LedgerAccount, LedgerTransaction, TransactionKind
from payments.services import Leg, get_house_account, get_owned_account, get_wallet, lock_accounts

APPROVALS_NEEDED = 2
OVERDUE_NOTICE_DAYS = 7


@dataclass(frozen=True)
class PlannedInstalment:
    number: int
    due_date: date
    principal: Decimal
    interest: Decimal

    @property
    def amount(self) -> Decimal:
        return self.principal + self.interest


def loan_schedule(
    *, principal: Decimal, term_months: int, monthly_rate: Decimal, method: str, currency: str, start: date
) -> list[PlannedInstalment]:
    """Equal monthly instalments that add up exactly to principal plus interest.

    Flat: interest is principal * rate * term, and both principal and interest are split by largest remainder
    (the residue on the last instalment). Reducing balance: the annuity payment, rounded once (ROUND_HALF_EVEN);
    each month's interest is the rate on the balance still owed, rounded; the last instalment takes whatever
    principal remains, so the principal parts add up to the principal exactly.
    """
    rate = monthly_rate / 100
    dates = [start + relativedelta(months=n) for n in range(1, term_months + 1)]
    if method == InterestMethod.FLAT or rate == 0:
        interest = round_money(principal * rate * term_months, currency)
        principals = allocate(principal, [1] * term_months, currency)
        interests = allocate(interest, [1] * term_months, currency) if interest else [Decimal("0")] * term_months
        return [
            PlannedInstalment(n, due, p, i)
            for n, (due, p, i) in enumerate(zip(dates, principals, interests, strict=True), start=1)
        ]
    payment = round_money(principal * rate / (1 - (1 + rate) ** -term_months), currency)
    balance = principal
    planned = []
    for n, due in enumerate(dates, start=1):
        interest = round_money(balance * rate, currency)
        part = balance if n == term_months else min(payment - interest, balance)
        planned.append(PlannedInstalment(n, due, part, interest))
        balance -= part
    return planned


# --- what a member may borrow ------------------------------------------------------------------------------


def savings_of(membership: Membership) -> Decimal:
    """What the member has paid into the group as contributions and top-ups, in e-money, not yet returned by a
    share-out (covered ones are still owed, so not savings). A loan is e-money out of the pot: cash that officials
    record backs no loan, or two of them could lend the group's e-money against cash that was never paid."""
    paid = (
        Contribution.objects.filter(membership=membership, status=ContributionStatus.PAID, share_out__isnull=True)
        .exclude(settled_by=SettledBy.RECORDED)
        .aggregate(total=Sum("amount"))["total"]
    )
    topped_up = SavingsTopUp.objects.filter(membership=membership, share_out__isnull=True).aggregate(
        total=Sum("amount")
    )["total"]
    return (paid or Decimal("0")) + (topped_up or Decimal("0"))


def held_for_guarantees(membership: Membership) -> Decimal:
    held = LoanGuarantee.objects.filter(guarantor=membership, status=GuaranteeStatus.ACCEPTED).aggregate(
        total=Sum("amount")
    )["total"]
    return held or Decimal("0")


def outstanding_principal(loan: Loan) -> Decimal:
    account = receivable_of(loan, create=False)
    return account.balance if account else Decimal("0")


@overload
def receivable_of(loan: Loan, *, create: Literal[True] = True) -> LedgerAccount: ...
@overload
def receivable_of(loan: Loan, *, create: bool) -> LedgerAccount | None: ...
def receivable_of(loan: Loan, *, create: bool = True) -> LedgerAccount | None:
    """The loan's receivable account; with `create=False`, None until the loan has one (before disbursement)."""
    kind, owner_type, currency = AccountKind.LOAN_RECEIVABLE, "loan", loan.group.currency
    if create:
        return get_owned_account(kind=kind, owner_type=owner_type, owner_id=loan.pk, currency=currency)
    return LedgerAccount.objects.filter(
        kind=kind, owner_type=owner_type, owner_id=str(loan.pk), currency=currency
    ).first()


def in_arrears(loan: Loan, today: date) -> bool:
    return (
        loan.status == LoanStatus.DISBURSED
        and loan.instalments.filter(status=InstalmentStatus.PENDING, due_date__lt=today).exists()
    )


def borrowing_limit(membership: Membership) -> Decimal:
    group = membership.group
    open_loans = Loan.objects.filter(
        borrower=membership, status__in=[LoanStatus.APPLIED, LoanStatus.APPROVED, LoanStatus.DISBURSED]
    )
    committed = sum(
        (outstanding_principal(loan) if loan.status == LoanStatus.DISBURSED else loan.principal for loan in open_loans),
        Decimal("0"),
    )
    free_savings = max(savings_of(membership) - held_for_guarantees(membership), Decimal("0"))
    limit = round_money(free_savings * group.loan_limit_multiplier, group.currency) - committed
    return max(limit, Decimal("0"))


def lendable_balance(group: SavingsGroup, *, pot_balance: Decimal | None = None) -> Decimal:
    """The pot less what open cycles' payouts are owed (contributions already paid into them; shares paid in
    cash are in the cash book, not the pot, unless a deposit covered them first)."""
    if pot_balance is None:
        pot_balance = pot_of(group).balance
    if group.is_savings:  # no cycle pays out: the whole pot is the members' savings, to lend until the share-out
        return max(pot_balance, Decimal("0"))
    in_the_pot = Contribution.objects.filter(
        cycle__group=group,
        cycle__status=CycleStatus.OPEN,
        status__in=[ContributionStatus.PAID, ContributionStatus.COVERED],
    ).exclude(settled_by=SettledBy.RECORDED, covered_at__isnull=True)
    reserved = in_the_pot.aggregate(total=Sum("amount"))["total"] or Decimal("0")
    return max(pot_balance - reserved, Decimal("0"))


# --- applying, guarantees, decisions ------------------------------------------------------------------------


def apply_for_loan(
    *,
    membership: Membership,
    principal: Decimal,
    term_months: int,
    purpose: str,
    guarantors: Sequence[tuple[Membership, Decimal]] = (),
) -> Loan:
    group = membership.group
    if group.status != GroupStatus.ACTIVE:
        raise LoanRefusedError("The group lends only while it is running.")
    require_feature(group, "loans")
    with transaction.atomic():
        # one application at a time per member, so two at once cannot both fit under the limit
        Membership.objects.select_for_update(no_key=True, of=("self",)).get(pk=membership.pk)
        return _apply(
            membership=membership, principal=principal, term_months=term_months, purpose=purpose, guarantors=guarantors
        )


def _apply(
    *,
    membership: Membership,
    principal: Decimal,
    term_months: int,
    purpose: str,
    guarantors: Sequence[tuple[Membership, Decimal]],
) -> Loan:
    group = membership.group
    if not membership.is_active:
        raise LoanRefusedError("A suspended member cannot borrow.")
    if term_months > group.loan_max_term_months:
        raise LoanRefusedError(f"The longest term this group allows is {group.loan_max_term_months} months.")
    today = local_today(group.tz)
    if any(in_arrears(loan, today) for loan in Loan.objects.filter(borrower=membership, status=LoanStatus.DISBURSED)):
        raise LoanRefusedError("Repay the loan in arrears first.")
    limit = borrowing_limit(membership)
    if principal > limit:
        raise LoanRefusedError(
            "That is more than you can borrow now.", details={"limit": str(limit), "currency": group.currency}
        )
    seen = set()
    for guarantor, _amount in guarantors:
        if guarantor.pk == membership.pk or guarantor.pk in seen or not guarantor.is_active:
            raise LoanRefusedError("Each guarantor must be another active member, named once.")
        seen.add(guarantor.pk)
    if sum((amount for _g, amount in guarantors), Decimal("0")) > principal:
        raise LoanRefusedError("Guarantees cannot add up to more than the loan.")
    with transaction.atomic():
        loan = Loan.objects.create(
            group=group,
            borrower=membership,
            principal=principal,
            term_months=term_months,
            purpose=purpose,
            interest_method=group.loan_interest_method,
            monthly_rate=group.loan_monthly_rate,
        )
        guarantees = LoanGuarantee.objects.bulk_create(
            LoanGuarantee(loan=loan, guarantor=guarantor, amount=amount) for guarantor, amount in guarantors
        )
        _tell_of_application(loan=loan, membership=membership, guarantees=guarantees)
    return loan


def _tell_of_application(*, loan: Loan, membership: Membership, guarantees: list[LoanGuarantee]) -> None:
    """The officials who will decide (never the borrower, who may be one), and each guarantor asked."""
    group = loan.group
    borrower = name_of(membership.user)
    amount = money_text(loan.principal, group.currency)
    officials = (
        group.memberships.select_related("user")
        .filter(status=MembershipStatus.ACTIVE, role__in=OFFICIAL_ROLES)
        .exclude(pk=membership.pk)
    )
    for official in officials:
        notify(
            user=official.user,
            event="loan_applied",
            context={**group_context(group), "amount": amount, "borrower": borrower},
            key=f"loan-applied:{loan.pk}",
        )
    for guarantee in guarantees:
        notify(
            user=guarantee.guarantor.user,
            event="guarantee_requested",
            context={
                **group_context(group),
                "amount": money_text(guarantee.amount, group.currency),
                "borrower": borrower,
                "purpose": loan.purpose,
            },
            key=f"guarantee:{guarantee.pk}",
        )


def answer_guarantee(*, membership: Membership, guarantee: LoanGuarantee, accept: bool) -> LoanGuarantee:
    """The guarantor accepts (the amount is then held on their savings until the loan is repaid) or declines."""
    with transaction.atomic():
        Membership.objects.select_for_update(no_key=True, of=("self",)).get(pk=membership.pk)
        guarantee = LoanGuarantee.objects.select_for_update(no_key=True, of=("self",)).get(pk=guarantee.pk)
        if guarantee.guarantor_id != membership.pk:
            raise LoanStateError("Only the member asked can answer this guarantee.")
        if guarantee.status != GuaranteeStatus.REQUESTED:
            raise LoanStateError("This guarantee has already been answered.")
        if guarantee.loan.status not in (LoanStatus.APPLIED, LoanStatus.APPROVED):
            raise LoanStateError("This loan is no longer waiting for guarantors.")
        if accept:
            free = savings_of(membership) - held_for_guarantees(membership)
            if free < guarantee.amount:
                raise LoanRefusedError(
                    "Your savings in the group cannot cover this guarantee.", details={"available": str(free)}
                )
        guarantee.status = GuaranteeStatus.ACCEPTED if accept else GuaranteeStatus.DECLINED
        guarantee.decided_at = timezone.now()
        guarantee.save(update_fields=["status", "decided_at"])
        return guarantee


def _require_independent_official(actor: Membership, loan: Loan) -> None:
    require_official(actor)
    if actor.pk == loan.borrower_id:
        raise NotAnOfficialError("Officials other than the borrower decide on a loan.")


def decide_loan(*, actor: Membership, loan: Loan, approve: bool, reason: str = "") -> Loan:
    """One official's vote. Two approvals by officials other than the borrower approve; one rejection rejects."""
    _require_independent_official(actor, loan)
    with transaction.atomic():
        loan = (
            Loan.objects.select_for_update(no_key=True, of=("self",))
            .select_related("group", "borrower__user")
            .get(pk=loan.pk)
        )
        if loan.status != LoanStatus.APPLIED:
            raise LoanStateError("This loan is not waiting for approval.")
        kind = DecisionKind.APPROVE if approve else DecisionKind.REJECT
        if loan.decisions.filter(official=actor, kind=kind).exists():
            raise LoanStateError("You have already voted on this loan.")
        LoanDecision.objects.create(loan=loan, official=actor, kind=kind, reason=reason)
        if not approve:
            loan.status = LoanStatus.REJECTED
            loan.closed_at = timezone.now()
            loan.guarantees.filter(status=GuaranteeStatus.ACCEPTED).update(status=GuaranteeStatus.RELEASED)
        elif loan.decisions.filter(kind=DecisionKind.APPROVE).count() >= APPROVALS_NEEDED:
            loan.status = LoanStatus.APPROVED
            loan.approved_at = timezone.now()
        loan.save(update_fields=["status", "approved_at", "closed_at"])
        _tell_of_decision(loan=loan, reason=reason)
        return loan


def _tell_of_decision(*, loan: Loan, reason: str) -> None:
    """The borrower hears once the vote decides, either way; a vote that decides nothing yet tells nobody."""
    group = loan.group
    context = {**group_context(group), "amount": money_text(loan.principal, group.currency)}
    if loan.status == LoanStatus.APPROVED:
        notify(user=loan.borrower.user, event="loan_approved", context=context, key=f"loan-approved:{loan.pk}")
    elif loan.status == LoanStatus.REJECTED:
        notify(
            user=loan.borrower.user,
            event="loan_rejected",
            context={**context, "reason": as_sentence(reason)},
            key=f"loan-rejected:{loan.pk}",
        )


def disburse_loan(*, actor: Membership, loan: Loan) -> Loan:
    """Pay an approved loan from the pot to the borrower's wallet and fix its schedule from today."""
    _require_independent_official(actor, loan)
    group = actor.group
    with transaction.atomic():
        loan = (
            Loan.objects.select_for_update(no_key=True, of=("self",))
            .select_related("group", "borrower__user")
            .get(pk=loan.pk)
        )
        if loan.status != LoanStatus.APPROVED:
            raise LoanStateError("Only an approved loan is disbursed, once.")
        if loan.guarantees.exclude(status=GuaranteeStatus.ACCEPTED).exists():
            raise LoanStateError("Every guarantor must accept before the loan is paid out.")
        pot = pot_of(group)
        posted_legs = [
            Leg(pot, -loan.principal),
            Leg(get_wallet(user_id=loan.borrower.user_id, currency=group.currency), loan.principal),
            Leg(receivable_of(loan), loan.principal),
            Leg(get_house_account(kind=AccountKind.LOANS_ISSUED, currency=group.currency), -loan.principal),
        ]
        # the pot's row lock makes the check final: two disbursements never both spend the same free money
        locked_pot = lock_accounts([pot])[pot.pk]
        lendable = lendable_balance(group, pot_balance=locked_pot.balance)
        if lendable < loan.principal:
            raise InsufficientFundsError(
                "The group's pot cannot lend this much now.", details={"available": str(lendable)}
            )
        post_for_group(
            group=group,
            kind=TransactionKind.LOAN,
            legs=posted_legs,
            idempotency_key=f"loan-disbursement:{loan.pk}",
            what="loan disbursed",
            member_id=loan.borrower_id,
            loan=loan.pk,
        )
        today = local_today(group.tz)
        LoanInstalment.objects.bulk_create(
            LoanInstalment(loan=loan, number=p.number, due_date=p.due_date, principal=p.principal, interest=p.interest)
            for p in loan_schedule(
                principal=loan.principal,
                term_months=loan.term_months,
                monthly_rate=loan.monthly_rate,
                method=loan.interest_method,
                currency=group.currency,
                start=today,
            )
        )
        loan.status = LoanStatus.DISBURSED
        loan.disbursed_at = timezone.now()
        loan.save(update_fields=["status", "disbursed_at"])
        notify(
            user=loan.borrower.user,
            event="loan_disbursed",
            context={**group_context(group), "amount": money_text(loan.principal, group.currency)},
            key=f"loan-disbursed:{loan.pk}",
        )
    return loan


# --- repaying -----------------------------------------------------------------------------------------------


def payoff_amount(loan: Loan, today: date) -> Decimal:
    """What closes the loan today. Reducing balance: late fees, interest of the months already begun and all the
    principal still owed (interest for months not yet begun is dropped). Flat: everything still owed."""
    total = Decimal("0")
    previous_due = loan.disbursed_at.astimezone(loan.group.tz).date() if loan.disbursed_at else today
    for instalment in loan.instalments.order_by("number"):
        if instalment.status == InstalmentStatus.PENDING:
            begun = previous_due < today or loan.interest_method == InterestMethod.FLAT
            total += instalment.late_fee - instalment.late_fee_paid
            total += instalment.principal - instalment.principal_paid
            if begun:
                total += instalment.interest - instalment.interest_paid
        previous_due = instalment.due_date
    return total


def _repayments(loan: Loan):
    return LedgerTransaction.objects.filter(
        kind=TransactionKind.LOAN, idempotency_key__startswith=f"loan-repayment:{loan.pk}:"
    )


def repay_loan(
    *,
    loan: Loan,
    amount: Decimal,
    source: LedgerAccount | None = None,
    cash_book: LedgerAccount | None = None,
    metadata: dict | None = None,
) -> LedgerTransaction:
    """Repay `amount` from the borrower's wallet, or, for cash an official took (a recorded payment), from the
    off-platform `source` into the group's `cash_book`: cash pays the loan down but never becomes e-money.

    Instalment by instalment, oldest first: late fee, then interest, then principal. Paying exactly the payoff
    amount of a reducing-balance loan closes it, and the interest of months not yet begun is waived."""
    group = loan.group
    with transaction.atomic():
        Membership.objects.select_for_update(no_key=True, of=("self",)).get(pk=loan.borrower_id)
        loan = (
            Loan.objects.select_for_update(no_key=True, of=("self",))
            .select_related("group", "borrower")
            .get(pk=loan.pk)
        )
        # A disbursed loan has its disbursal time: both are set together (`disburse_loan`).
        if loan.status != LoanStatus.DISBURSED or loan.disbursed_at is None:
            raise LoanStateError("Only a disbursed loan is repaid.")
        disbursed_at = loan.disbursed_at
        today = local_today(group.tz)
        payoff = payoff_amount(loan, today)
        if amount > payoff:
            raise RepaymentTooLargeError(details={"payoff": str(payoff), "currency": group.currency})
        closing = amount == payoff
        instalments = list(loan.instalments.select_for_update(no_key=True).order_by("number"))
        if closing:
            _waive_unbegun_interest(loan, instalments, today, disbursed_at=disbursed_at)
        left = amount
        fees = interest = principal = Decimal("0")
        for instalment in instalments:
            if instalment.status != InstalmentStatus.PENDING or left <= 0:
                continue
            for field, owed_field in (
                ("late_fee_paid", "late_fee"),
                ("interest_paid", "interest"),
                ("principal_paid", "principal"),
            ):
                due = getattr(instalment, owed_field) - getattr(instalment, field)
                part = min(due, left)
                if part <= 0:
                    continue
                setattr(instalment, field, getattr(instalment, field) + part)
                left -= part
                if field == "late_fee_paid":
                    fees += part
                elif field == "interest_paid":
                    interest += part
                else:
                    principal += part
            if (instalment.principal_paid, instalment.interest_paid, instalment.late_fee_paid) == (
                instalment.principal,
                instalment.interest,
                instalment.late_fee,
            ):
                instalment.status = InstalmentStatus.PAID
            instalment.save()
        payer = source or get_wallet(user_id=loan.borrower.user_id, currency=group.currency)
        legs = [Leg(payer, -amount)]
        if cash_book is not None:
            legs.append(Leg(cash_book, amount))
        elif fees + interest + principal:  # late fees and interest belong to the group, as the principal does
            legs.append(Leg(pot_of(group), fees + interest + principal))
        if principal:
            legs.append(Leg(receivable_of(loan), -principal))
            legs.append(Leg(get_house_account(kind=AccountKind.LOANS_ISSUED, currency=group.currency), principal))
        posted = post_for_group(
            group=group,
            kind=TransactionKind.LOAN,
            legs=legs,
            # the loan's n-th repayment, counted under the loan's row lock
            idempotency_key=f"loan-repayment:{loan.pk}:{_repayments(loan).count() + 1}",
            what="loan repayment",
            member_id=loan.borrower_id,
            loan=loan.pk,
            late_fees=str(fees),
            interest=str(interest),
            principal=str(principal),
            **(metadata or {}),
        )
        if all(i.status != InstalmentStatus.PENDING for i in instalments):
            loan.status = LoanStatus.REPAID
            loan.closed_at = timezone.now()
            loan.save(update_fields=["status", "closed_at"])
            loan.guarantees.filter(status=GuaranteeStatus.ACCEPTED).update(status=GuaranteeStatus.RELEASED)
        return posted


def _waive_unbegun_interest(
    loan: Loan, instalments: list[LoanInstalment], today: date, *, disbursed_at: datetime
) -> None:
    """Closing a disbursed reducing-balance loan early: the interest of months not yet begun is dropped (months
    counted from the disbursal date)."""
    if loan.interest_method != InterestMethod.REDUCING:
        return
    previous_due = disbursed_at.astimezone(loan.group.tz).date()
    for instalment in instalments:
        if instalment.status == InstalmentStatus.PENDING and previous_due >= today:
            instalment.interest = instalment.interest_paid
        previous_due = instalment.due_date


def instalment_owed(instalment: LoanInstalment) -> Decimal:
    """What is still to pay on one instalment: its late fee, interest and principal, less what was paid of each."""
    return (
        instalment.late_fee
        - instalment.late_fee_paid
        + instalment.interest
        - instalment.interest_paid
        + instalment.principal
        - instalment.principal_paid
    )


def assess_late_fees(*, group: SavingsGroup, today: date | None = None) -> int:
    """A late fee on each instalment unpaid after its due date + the group's grace days, once (the update only
    touches instalments still without one), and its borrower told it is overdue. Returns how many fees were added.

    The notice goes whether or not the group charges a fee, so it cannot hang on the fee being added: it goes for
    instalments whose grace ended within the last `OVERDUE_NOTICE_DAYS`, and its key (loan and due date) makes
    it once however many nights the instalment stays in that window."""
    today = today or local_today(group.tz)
    cutoff = today - relativedelta(days=group.grace_days + 1)
    overdue = LoanInstalment.objects.filter(
        loan__group=group,
        loan__status=LoanStatus.DISBURSED,
        status=InstalmentStatus.PENDING,
        due_date__lte=cutoff,
    )
    with transaction.atomic():
        charged = overdue.filter(late_fee=0).update(late_fee=group.loan_late_fee) if group.loan_late_fee > 0 else 0
        for instalment in overdue.filter(due_date__gt=cutoff - relativedelta(days=OVERDUE_NOTICE_DAYS)).select_related(
            "loan__borrower__user"
        ):
            notify(
                user=instalment.loan.borrower.user,
                event="loan_overdue",
                context={
                    **group_context(group),
                    "amount": money_text(instalment_owed(instalment), group.currency),
                    "due_date": instalment.due_date.isoformat(),
                },
                key=f"loan-overdue:{instalment.loan_id}:{instalment.due_date.isoformat()}",
            )
    return charged


def vote_write_off(*, actor: Membership, loan: Loan, reason: str) -> Loan:
    """Two officials other than the borrower write a disbursed loan off: the receivable is cleared against
    `loans_issued`, what was still owed (interest, late fees) is waived, and the guarantees are released."""
    _require_independent_official(actor, loan)
    with transaction.atomic():
        loan = Loan.objects.select_for_update(no_key=True, of=("self",)).select_related("group").get(pk=loan.pk)
        if loan.status != LoanStatus.DISBURSED:
            raise LoanStateError("Only a loan being repaid can be written off.")
        if loan.decisions.filter(official=actor, kind=DecisionKind.WRITE_OFF).exists():
            raise LoanStateError("You have already voted to write this loan off.")
        LoanDecision.objects.create(loan=loan, official=actor, kind=DecisionKind.WRITE_OFF, reason=reason)
        if loan.decisions.filter(kind=DecisionKind.WRITE_OFF).count() < APPROVALS_NEEDED:
            return loan
        remaining = outstanding_principal(loan)
        if remaining:
            post_for_group(
                group=loan.group,
                kind=TransactionKind.LOAN,
                legs=[
                    Leg(receivable_of(loan), -remaining),
                    Leg(get_house_account(kind=AccountKind.LOANS_ISSUED, currency=loan.group.currency), remaining),
                ],
                idempotency_key=f"loan-write-off:{loan.pk}",
                what="loan written off",
                member_id=loan.borrower_id,
                loan=loan.pk,
                reason=reason,
            )
        loan.instalments.filter(status=InstalmentStatus.PENDING).update(status=InstalmentStatus.WAIVED)
        loan.guarantees.filter(status=GuaranteeStatus.ACCEPTED).update(status=GuaranteeStatus.RELEASED)
        loan.status = LoanStatus.WRITTEN_OFF
        loan.closed_at = timezone.now()
        loan.save(update_fields=["status", "closed_at"])
        return loan


def written_off_amount(loan: Loan) -> Decimal:
    if loan.status != LoanStatus.WRITTEN_OFF:
        return Decimal("0")
    repaid = loan.instalments.aggregate(total=Sum("principal_paid"))["total"] or Decimal("0")
    return loan.principal - repaid


def loan_book(*, group: SavingsGroup) -> dict:
    """Outstanding principal, loans in arrears and written off, for the group's officials and members."""
    today = local_today(group.tz)
    loans = list(group.loans.select_related("borrower__user"))
    disbursed = [loan for loan in loans if loan.status == LoanStatus.DISBURSED]
    arrears = [loan for loan in disbursed if in_arrears(loan, today)]
    unit = minor_unit(group.currency)
    return {
        "currency": group.currency,
        "outstanding": str(sum((outstanding_principal(loan) for loan in disbursed), Decimal("0")).quantize(unit)),
        "loans_open": len(disbursed),
        "in_arrears": [loan.pk for loan in arrears],
        "in_arrears_amount": str(sum((outstanding_principal(loan) for loan in arrears), Decimal("0")).quantize(unit)),
        "written_off": str(sum((written_off_amount(loan) for loan in loans), Decimal("0")).quantize(unit)),
        "lendable": str(lendable_balance(group)),
        "waiting_for_approval": len([loan for loan in loans if loan.status == LoanStatus.APPLIED]),
    }
