"""Every write about a group's money once it runs: the schedule, paying dues, penalties, payouts, completion.

Locking order, the same everywhere so two operations never deadlock: the cycle row (payouts), then membership
rows in id order, then (inside `post_transaction`) ledger accounts in id order. A member's payment locks their
membership first, so it and a payout netting the same member's arrears never settle one obligation twice.
Row locks are `FOR NO KEY UPDATE OF` the row itself: joined rows stay unlocked, and inserting a penalty or a
posting that references a locked row (which takes a key-share lock) never waits on it — both were deadlocks
under concurrent payments before.
"""

import hashlib
import logging
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from dateutil.relativedelta import relativedelta
from django.db import transaction
from django.db.models import Q, Sum
from django.utils import timezone

from contributions.errors import (
    ContributionAlreadyPaidError,
    ContributionNotPayableError,
    PenaltyNotOwedError,
)
from contributions.models import (
    OWED_STATUSES,
    UNPAID_STATUSES,
    Contribution,
    ContributionReminder,
    ContributionStatus,
    Cycle,
    CycleStatus,
    Payout,
    Penalty,
    PenaltyStatus,
    ReminderKind,
    SettledBy,
)
from core.clock import local_today
from core.money import allocate, round_money
from groups.models import (
    DefaultPolicy,
    Frequency,
    GroupStatus,
    Membership,
    MembershipStatus,
    PenaltyKind,
    PenaltyRecurrence,
    SavingsGroup,
)
from groups.money import escrow_of, post_for_group, pot_of
from notifications.services import notify
from payments.models import AccountKind, Charge, LedgerAccount, LedgerTransaction, TransactionKind
from payments.services import Leg, get_house_account, get_wallet, start_deposit

logger = logging.getLogger("pamoja.contributions")

CHARGE_PURPOSE = "contribution"


def due_date_for(group: SavingsGroup, number: int) -> date:
    """Cycle `number`'s due date, counted from the start date (so a monthly group started on the 31st falls due
    on the last day of shorter months and on the 31st again after them)."""
    steps = number - 1
    if group.frequency == Frequency.MONTHLY:
        return group.start_date + relativedelta(months=steps)
    days = 7 if group.frequency == Frequency.WEEKLY else 14
    return group.start_date + timedelta(days=days * steps)


def payout_date_for(group: SavingsGroup, cycle: Cycle) -> date:
    """The last day of grace; unpaid contributions are late (and penalised) from the next day."""
    return cycle.due_date + timedelta(days=group.grace_days)


def create_schedule(*, group: SavingsGroup, order: list[tuple[Membership, int]]) -> list[Cycle]:
    """One cycle per payout turn, and in each cycle one pending contribution per member slot."""
    cycles = Cycle.objects.bulk_create(
        Cycle(
            group=group,
            number=number,
            due_date=due_date_for(group, number),
            recipient=membership,
            recipient_slot=slot,
        )
        for number, (membership, slot) in enumerate(order, start=1)
    )
    members = sorted({membership for membership, _slot in order}, key=lambda m: m.pk)
    Contribution.objects.bulk_create(
        Contribution(
            cycle=cycle,
            membership=membership,
            slot=slot,
            amount=group.contribution_amount,
            due_date=cycle.due_date,
        )
        for cycle in cycles
        for membership in members
        for slot in range(1, membership.slots + 1)
    )
    return cycles


# --- paying what a member owes -------------------------------------------------------------------------------


@dataclass
class Settlement:
    """What one payment settled, oldest first, and the posting that moved the money."""

    total: Decimal
    penalties: list[Penalty] = field(default_factory=list)
    contributions: list[Contribution] = field(default_factory=list)
    ledger_transaction: LedgerTransaction | None = None


def obligations_through(*, membership: Membership, target: Contribution) -> Settlement:
    """Everything the member must settle to pay `target`: every owed penalty, then every owed contribution due no
    later than it (oldest first), then `target` itself. A payment always settles the oldest obligation first."""
    penalties = list(membership.penalties.filter(status=PenaltyStatus.OWED).order_by("created_at", "id"))
    contributions = list(
        membership.contributions.filter(status__in=OWED_STATUSES)
        .filter(Q(due_date__lt=target.due_date) | Q(pk=target.pk))
        .select_related("cycle")
        .order_by("due_date", "cycle__number", "slot", "id")
    )
    total = sum((p.amount for p in penalties), Decimal("0")) + sum((c.amount for c in contributions), Decimal("0"))
    return Settlement(total=total, penalties=penalties, contributions=contributions)


def _settle_from_wallet(*, membership: Membership, target: Contribution, settled_by: str) -> Settlement:
    """Inside a transaction, with the membership locked: one posting from the member's wallet."""
    group = membership.group
    target = Contribution.objects.select_related("cycle").get(pk=target.pk)
    if target.status == ContributionStatus.PAID:
        raise ContributionAlreadyPaidError()
    if group.status != GroupStatus.ACTIVE:
        raise ContributionNotPayableError("This group is not running.")
    owed = obligations_through(membership=membership, target=target)
    wallet = get_wallet(user_id=membership.user_id, currency=group.currency)
    return post_settlement(membership=membership, owed=owed, source=wallet, settled_by=settled_by)


def post_settlement(
    *,
    membership: Membership,
    owed: Settlement,
    source: LedgerAccount,
    settled_by: str,
    metadata: dict | None = None,
) -> Settlement:
    """One posting from `source`, e-money (a member's wallet): penalties to penalty income, contributions to the
    pot (a covered one refills the member's deposit). Marks what it settled. Runs inside the caller's transaction.
    Cash an official took goes through `post_cash_settlement` instead."""
    group = membership.group
    legs = [Leg(source, -owed.total)]
    penalty_total = sum((p.amount for p in owed.penalties), Decimal("0"))
    if penalty_total:
        legs.append(Leg(get_house_account(kind=AccountKind.PENALTY_INCOME, currency=group.currency), penalty_total))
    to_pot = sum((c.amount for c in owed.contributions if c.status != ContributionStatus.COVERED), Decimal("0"))
    if to_pot:
        legs.append(Leg(pot_of(group), to_pot))
    refill = sum((c.amount for c in owed.contributions if c.status == ContributionStatus.COVERED), Decimal("0"))
    if refill:
        legs.append(Leg(escrow_of(membership), refill))
    return _post_and_mark_settled(
        membership=membership,
        owed=owed,
        legs=legs,
        idempotency_key=_settlement_key(membership, owed),
        what="contribution",
        settled_by=settled_by,
        metadata=metadata,
    )


def _settlement_key(membership: Membership, owed: Settlement) -> str:
    """Named by what it settles: each obligation is settled once, so the same settlement twice is one posting."""
    items = ",".join([f"c{c.pk}" for c in owed.contributions] + [f"p{p.pk}" for p in owed.penalties])
    return f"settlement:{membership.pk}:{hashlib.sha256(items.encode()).hexdigest()[:40]}"


def post_cash_settlement(
    *,
    membership: Membership,
    owed: Settlement,
    amount: Decimal,
    source: LedgerAccount,
    cash_book: LedgerAccount,
    recorded_payment_id: int,
    metadata: dict | None = None,
) -> Settlement:
    """Money an official took outside the app settles `owed` in the group's cash book: one posting of `amount`
    from the off-platform `source` into `cash_book`, never into a wallet, the pot or income. Whatever `amount`
    leaves beyond `owed` stays in the cash book, unapplied. Marks what it settled. Runs inside the caller's
    transaction, with the membership locked."""
    return _post_and_mark_settled(
        membership=membership,
        owed=owed,
        legs=[Leg(source, -amount), Leg(cash_book, amount)],
        idempotency_key=f"cash-settlement:{recorded_payment_id}",
        what="paid in cash to an official",
        settled_by=SettledBy.RECORDED,
        metadata=metadata,
    )


def _post_and_mark_settled(
    *,
    membership: Membership,
    owed: Settlement,
    legs: list[Leg],
    idempotency_key: str,
    what: str,
    settled_by: str,
    metadata: dict | None,
) -> Settlement:
    owed.ledger_transaction = post_for_group(
        group=membership.group,
        kind=TransactionKind.CONTRIBUTION,
        legs=legs,
        idempotency_key=idempotency_key,
        what=what,
        member_id=membership.pk,
        contributions=[c.pk for c in owed.contributions],
        penalties=[p.pk for p in owed.penalties],
        **(metadata or {}),
    )
    now = timezone.now()
    Penalty.objects.filter(pk__in=[p.pk for p in owed.penalties]).update(
        status=PenaltyStatus.PAID, settled_by=settled_by, paid_at=now, ledger_transaction=owed.ledger_transaction
    )
    Contribution.objects.filter(pk__in=[c.pk for c in owed.contributions]).update(
        status=ContributionStatus.PAID, settled_by=settled_by, paid_at=now, ledger_transaction=owed.ledger_transaction
    )
    return owed


def outstanding_total(*, membership: Membership) -> Decimal:
    """Everything the member still owes the group: owed penalties and every unpaid contribution, due or not."""
    penalties = membership.penalties.filter(status=PenaltyStatus.OWED).aggregate(total=Sum("amount"))["total"]
    contributions = membership.contributions.filter(status__in=OWED_STATUSES).aggregate(total=Sum("amount"))["total"]
    return round_money((penalties or Decimal("0")) + (contributions or Decimal("0")), membership.group.currency)


def obligations_within(*, membership: Membership, amount: Decimal, penalty: Penalty | None = None) -> Settlement:
    """What `amount` settles, oldest first and whole items only: `penalty` alone if given, else every owed
    penalty, then owed contributions by due date. The rest of `amount` is the caller's remainder."""
    if penalty is not None:
        candidates = [penalty]
    else:
        candidates = list(membership.penalties.filter(status=PenaltyStatus.OWED).order_by("created_at", "id"))
        candidates += list(
            membership.contributions.filter(status__in=OWED_STATUSES)
            .select_related("cycle")
            .order_by("due_date", "cycle__number", "slot", "id")
        )
    return _whole_items_within(candidates, amount)


def _whole_items_within(candidates: list[Penalty | Contribution], amount: Decimal) -> Settlement:
    """The leading `candidates` (oldest first) that `amount` pays whole; stops at the first it cannot."""
    settled = Settlement(total=Decimal("0"))
    for item in candidates:
        if settled.total + item.amount > amount:
            break
        settled.total += item.amount
        (settled.penalties if isinstance(item, Penalty) else settled.contributions).append(item)
    return settled


def pay_penalty(*, membership: Membership, penalty: Penalty) -> Settlement:
    """Pay one owed penalty or fine from the member's wallet. The caller has checked the PIN."""
    with transaction.atomic():
        membership = (
            Membership.objects.select_for_update(no_key=True, of=("self",))
            .select_related("group")
            .get(pk=membership.pk)
        )
        penalty = Penalty.objects.get(pk=penalty.pk)
        if penalty.status != PenaltyStatus.OWED:
            raise PenaltyNotOwedError()
        owed = Settlement(total=penalty.amount, penalties=[penalty])
        wallet = get_wallet(user_id=membership.user_id, currency=membership.group.currency)
        return post_settlement(membership=membership, owed=owed, source=wallet, settled_by=SettledBy.WALLET)


def pay_contribution(*, membership: Membership, contribution: Contribution) -> Settlement:
    """Pay `contribution` from the member's wallet, with everything older that is still owed (never a part of
    it: the wallet covers the whole or nothing moves). The caller has checked the PIN."""
    with transaction.atomic():
        membership = (
            Membership.objects.select_for_update(no_key=True, of=("self",))
            .select_related("group")
            .get(pk=membership.pk)
        )
        settled = _settle_from_wallet(membership=membership, target=contribution, settled_by=SettledBy.WALLET)
    _after_payment(membership.group_id)
    return settled


def start_mpesa_payment(*, membership: Membership, contribution: Contribution, phone_number: str) -> Charge:
    """An STK push for what paying `contribution` costs now; when it succeeds the money lands in the wallet and
    goes straight on to the pot (`settle_contribution_charge`)."""
    group = membership.group
    if contribution.status == ContributionStatus.PAID:
        raise ContributionAlreadyPaidError()
    if group.status != GroupStatus.ACTIVE:
        raise ContributionNotPayableError("This group is not running.")
    owed = obligations_through(membership=membership, target=contribution)
    return start_deposit(
        user=membership.user,
        amount=owed.total,
        currency=group.currency,
        provider="mpesa",
        phone_number=phone_number,
        purpose=CHARGE_PURPOSE,
        purpose_id=str(contribution.pk),
    )


def settle_contribution_charge(charge: Charge) -> None:
    """Registered for charge purpose `contribution`; runs inside the credit's transaction.

    The charge pays what its payer was asked for when it was opened, and nothing more: the obligations owed then
    (penalties levied before it, contributions due no later than its target), whole and oldest first, up to the
    charge's amount. A fine levied while the phone was ringing, or an item paid another way meanwhile, leaves the
    difference in the wallet, where only its owner's PIN moves it."""
    contribution = Contribution.objects.select_related("membership").get(pk=int(charge.purpose_id))
    membership = (
        Membership.objects.select_for_update(no_key=True, of=("self",))
        .select_related("group")
        .get(pk=contribution.membership_id)
    )
    if membership.group.status != GroupStatus.ACTIVE:
        raise ContributionNotPayableError("This group is not running.")
    asked_for = obligations_through(membership=membership, target=contribution)
    levied_before = [p for p in asked_for.penalties if p.created_at <= charge.created_at]
    settled = _whole_items_within([*levied_before, *asked_for.contributions], charge.amount)
    if not settled.total:
        raise ContributionAlreadyPaidError("Nothing this payment was for is still owed; the money stays in the wallet.")
    wallet = get_wallet(user_id=membership.user_id, currency=membership.group.currency)
    post_settlement(
        membership=membership,
        owed=settled,
        source=wallet,
        settled_by=SettledBy.MPESA,
        metadata={"charge": charge.reference},
    )
    transaction.on_commit(lambda: _enqueue_payouts(membership.group_id))


def _after_payment(group_id) -> None:
    transaction.on_commit(lambda: _enqueue_payouts(group_id))


def _enqueue_payouts(group_id) -> None:
    from contributions.tasks import run_group_payouts

    run_group_payouts.delay(str(group_id))


# --- penalties -----------------------------------------------------------------------------------------------


def penalty_amount(group: SavingsGroup, contribution: Contribution) -> Decimal:
    if group.penalty_kind == PenaltyKind.FLAT:
        return group.penalty_amount
    if group.penalty_kind == PenaltyKind.PERCENT:
        return round_money(contribution.amount * group.penalty_amount / 100, group.currency)
    return Decimal("0")


def assess_penalties(*, group: SavingsGroup, today: date | None = None) -> int:
    """Mark contributions late after due date + grace and post the penalties their policy asks for, up to today.
    A contribution the member's deposit covered is still the member's debt, and is penalised like an unpaid one.

    Each penalty has a unique (contribution, period) row, so running this any number of times (or on two workers
    at once) adds each one exactly once; a missed night is caught up on the next run. Returns how many were added.
    """
    today = today or local_today(group.tz)
    with transaction.atomic():
        return _assess_penalties(group=group, today=today)


def _assess_penalties(*, group: SavingsGroup, today: date) -> int:
    # Locked, so a payment that commits first is seen as paid here, and one that comes after waits for us.
    last_on_time = today - timedelta(days=group.grace_days + 1)
    overdue = list(
        Contribution.objects.select_for_update(no_key=True, of=("self",))
        .filter(cycle__group=group, status__in=OWED_STATUSES, due_date__lte=last_on_time)
        .order_by("pk")
    )
    if not overdue:
        return 0
    Contribution.objects.filter(pk__in=[c.pk for c in overdue], status=ContributionStatus.PENDING).update(
        status=ContributionStatus.LATE
    )
    unit = penalty_amount(group, overdue[0]) if group.penalty_kind == PenaltyKind.FLAT else None
    if group.penalty_kind == PenaltyKind.NONE or (unit is not None and unit <= 0):
        return 0
    existing: dict[int, Decimal] = {
        row["contribution"]: row["total"]
        for row in Penalty.objects.filter(contribution__in=overdue).values("contribution").annotate(total=Sum("amount"))
    }
    existing_periods = set(Penalty.objects.filter(contribution__in=overdue).values_list("contribution_id", "period"))
    new = []
    for contribution in overdue:
        per_period = penalty_amount(group, contribution)
        if per_period <= 0:
            continue
        days_late = (today - contribution.due_date).days - group.grace_days
        periods = 1 if group.penalty_recurrence == PenaltyRecurrence.ONCE else days_late
        so_far = existing.get(contribution.pk, Decimal("0"))
        for period in range(1, periods + 1):
            if (contribution.pk, period) in existing_periods:
                continue
            amount = per_period
            if group.penalty_cap is not None:
                amount = min(amount, group.penalty_cap - so_far)
                if amount <= 0:
                    break
            so_far += amount
            new.append(
                Penalty(
                    contribution=contribution, membership_id=contribution.membership_id, period=period, amount=amount
                )
            )
    created = Penalty.objects.bulk_create(new, ignore_conflicts=True)
    return len(created)


# --- payouts -------------------------------------------------------------------------------------------------


def run_payouts(*, group: SavingsGroup, today: date | None = None) -> list[Payout]:
    """Pay every cycle that is ready, in order; complete the group after the last. Safe to run any number of
    times and on several workers at once: each cycle row is locked, and its payout is unique."""
    today = today or local_today(group.tz)
    paid = []
    while True:
        with transaction.atomic():
            group = SavingsGroup.objects.select_for_update(no_key=True, of=("self",)).get(pk=group.pk)
            if group.status != GroupStatus.ACTIVE:
                return paid
            cycle = (
                Cycle.objects.select_for_update(no_key=True, of=("self",))
                .filter(group=group, status=CycleStatus.OPEN)
                .order_by("number")
                .first()
            )
            if cycle is None:
                complete_group(group=group)
                return paid
            payout = _pay_out_cycle(group=group, cycle=cycle, today=today)
            if payout is None:
                return paid
            paid.append(payout)
        notify(
            user=payout.recipient.user,
            kind="payout_paid",
            title=f"{group.name}: your payout is in your wallet",
            body=f"{group.currency} {payout.amount} (fee {payout.fee}, deductions {payout.deductions}).",
            data={"group": str(group.pk), "payout": payout.pk},
        )


def _cover_from_deposits(*, group: SavingsGroup, unpaid: list[Contribution], members: dict[int, Membership]) -> None:
    """The defaulters' deposits pay their missing contributions into the pot, where a deposit is large enough;
    the contributions stay owed (paying them refills the deposit)."""
    pot = pot_of(group)
    for contribution in unpaid:
        escrow = escrow_of(members[contribution.membership_id])
        escrow.refresh_from_db(fields=["balance"])
        if escrow.balance < contribution.amount:
            continue
        posted = post_for_group(
            group=group,
            kind=TransactionKind.CONTRIBUTION,
            legs=[Leg(escrow, -contribution.amount), Leg(pot, contribution.amount)],
            idempotency_key=f"deposit-covers:{contribution.pk}",
            what=f"deposit covers cycle {contribution.cycle.number}",
            member_id=contribution.membership_id,
            contribution=contribution.pk,
        )
        contribution.status = ContributionStatus.COVERED
        contribution.settled_by = SettledBy.DEPOSIT
        contribution.covered_at = timezone.now()
        contribution.ledger_transaction = posted
        contribution.save(update_fields=["status", "settled_by", "covered_at", "ledger_transaction"])


def _paid_in_cash_only(contribution: Contribution) -> bool:
    return (
        contribution.status == ContributionStatus.PAID
        and contribution.settled_by == SettledBy.RECORDED
        and contribution.covered_at is None
    )


def _pay_out_cycle(*, group: SavingsGroup, cycle: Cycle, today: date) -> Payout | None:
    """Pay `cycle` if it is ready: every contribution in (the recipient's own may be netted), or its payout date
    reached and the default policy lets deposits cover the rest. Runs with the cycle locked.

    A cycle collects from the day after the previous cycle's due date; it never pays out before that, however
    much was paid ahead, so money paid in advance waits for its own turn."""
    if cycle.number > 1 and today <= due_date_for(group, cycle.number - 1):
        return None
    # The nightly common case, answered before any member row is locked (a payment locks its member first).
    unpaid = cycle.contributions.filter(status__in=UNPAID_STATUSES)
    if today < payout_date_for(group, cycle) and unpaid.exists():
        return None
    if (
        group.default_policy != DefaultPolicy.DEPOSIT_COVERS
        and unpaid.exclude(membership_id=cycle.recipient_id).exists()
    ):
        return None
    members = {
        m.pk: m
        for m in Membership.objects.select_for_update(no_key=True, of=("self",))
        .select_related("user", "group")
        .filter(group=group)
        .order_by("pk")
    }
    recipient = members[cycle.recipient_id]
    contributions = list(cycle.contributions.select_related("cycle").order_by("pk"))
    others_unpaid = [c for c in contributions if c.status in UNPAID_STATUSES and c.membership_id != recipient.pk]
    if others_unpaid:
        if today < payout_date_for(group, cycle) or group.default_policy != DefaultPolicy.DEPOSIT_COVERS:
            return None
        _cover_from_deposits(group=group, unpaid=others_unpaid, members=members)
        if any(c.status in UNPAID_STATUSES for c in others_unpaid):
            logger.info("cycle %s waits: a defaulter's deposit cannot cover the contribution", cycle.pk)
            return None
    if today < payout_date_for(group, cycle) and any(
        c.status in UNPAID_STATUSES for c in contributions if c.membership_id == recipient.pk
    ):
        return None  # the recipient may still pay their own share before the payout date

    gross = sum((c.amount for c in contributions), Decimal("0"))
    # Shares paid in cash to an official sit in the group's cash book, not the pot: the officials hand them to the
    # recipient as a recorded cash payout. Only e-money leaves the pot, and Pamoja's fee is on e-money alone.
    # (A share the member's deposit covered is in the pot already, even if the member later paid it in cash: that
    # cash stands in the cash book in place of their deposit.)
    cash_part = sum((c.amount for c in contributions if _paid_in_cash_only(c)), Decimal("0"))
    e_gross = gross - cash_part
    details = []
    netted: list[Contribution] = []
    netted_penalties: list[Penalty] = []
    refilled: list[Contribution] = []
    # the recipient's own unpaid shares of this cycle first: without them the pot is short
    own_unpaid = [c for c in contributions if c.membership_id == recipient.pk and c.status in UNPAID_STATUSES]
    netted_total = sum((c.amount for c in own_unpaid), Decimal("0"))
    fee = min(round_money(e_gross * group.service_fee_percent / 100, group.currency), max(e_gross - netted_total, 0))
    room = e_gross - fee
    for c in own_unpaid:
        netted.append(c)
        room -= c.amount
        details.append({"kind": "contribution", "cycle": c.cycle.number, "amount": str(c.amount)})
    for penalty in recipient.penalties.filter(status=PenaltyStatus.OWED).order_by("created_at", "id"):
        if penalty.amount > room:
            break
        netted_penalties.append(penalty)
        room -= penalty.amount
        details.append({"kind": "penalty", "penalty": penalty.pk, "amount": str(penalty.amount)})
    for c in (
        recipient.contributions.filter(status=ContributionStatus.COVERED)
        .select_related("cycle")
        .order_by("due_date", "cycle__number", "slot")
    ):
        if c.amount > room:
            break
        refilled.append(c)
        room -= c.amount
        details.append({"kind": "deposit_refill", "cycle": c.cycle.number, "amount": str(c.amount)})
    if room < 0:
        logger.warning("cycle %s waits: the recipient's unpaid shares exceed the payout", cycle.pk)
        return None

    net = room
    penalty_total = sum((p.amount for p in netted_penalties), Decimal("0"))
    refill_total = sum((c.amount for c in refilled), Decimal("0"))
    legs = []
    if e_gross - netted_total:
        legs.append(Leg(pot_of(group), -(e_gross - netted_total)))
    if net:
        legs.append(Leg(get_wallet(user_id=recipient.user_id, currency=group.currency), net))
    if fee:
        legs.append(Leg(get_house_account(kind=AccountKind.FEE_INCOME, currency=group.currency), fee))
    if penalty_total:
        legs.append(Leg(get_house_account(kind=AccountKind.PENALTY_INCOME, currency=group.currency), penalty_total))
    if refill_total:
        legs.append(Leg(escrow_of(recipient), refill_total))
    if not legs and netted:
        logger.info("cycle %s waits: the recipient's own share cannot be netted against cash", cycle.pk)
        return None
    posted = None
    if legs:  # nothing moves in e-money when every share of the cycle was paid in cash
        posted = post_for_group(
            group=group,
            kind=TransactionKind.PAYOUT,
            legs=legs,
            idempotency_key=f"payout:{cycle.pk}",
            what=f"payout for cycle {cycle.number}",
            member_id=recipient.pk,
            cycle=cycle.number,
            deductions=details,
            cash_amount=str(cash_part),
        )
    now = timezone.now()
    Contribution.objects.filter(pk__in=[c.pk for c in netted + refilled]).update(
        status=ContributionStatus.PAID, settled_by=SettledBy.PAYOUT, paid_at=now, ledger_transaction=posted
    )
    Penalty.objects.filter(pk__in=[p.pk for p in netted_penalties]).update(
        status=PenaltyStatus.PAID, settled_by=SettledBy.PAYOUT, paid_at=now, ledger_transaction=posted
    )
    cycle.status = CycleStatus.PAID_OUT
    cycle.save(update_fields=["status"])
    return Payout.objects.create(
        cycle=cycle,
        recipient=recipient,
        gross_amount=gross,
        fee=fee,
        deductions=e_gross - fee - net,
        amount=net,
        cash_amount=cash_part,
        details=details,
        ledger_transaction=posted,
    )


def complete_group(*, group: SavingsGroup) -> SavingsGroup:
    """After the last payout: each member's deposit comes back less penalties still owed (which go to income),
    and what is left in the pot (registration fees) is shared equally among the members. Runs with the group
    locked."""
    members = list(
        Membership.objects.select_for_update(no_key=True, of=("self",))
        .select_related("group")
        .filter(group=group)
        .order_by("pk")
    )
    penalty_income = get_house_account(kind=AccountKind.PENALTY_INCOME, currency=group.currency)
    for membership in members:
        escrow = escrow_of(membership)
        escrow.refresh_from_db(fields=["balance"])
        if escrow.balance <= 0:
            continue
        room = escrow.balance
        owed = []
        for penalty in membership.penalties.filter(status=PenaltyStatus.OWED).order_by("created_at", "id"):
            if penalty.amount > room:
                break
            owed.append(penalty)
            room -= penalty.amount
        legs = [Leg(escrow, -escrow.balance)]
        if room:
            legs.append(Leg(get_wallet(user_id=membership.user_id, currency=group.currency), room))
        if owed:
            legs.append(Leg(penalty_income, escrow.balance - room))
        posted = post_for_group(
            group=group,
            kind=TransactionKind.DEPOSIT_HOLD,
            legs=legs,
            idempotency_key=f"deposit-return:{membership.pk}",
            what="security deposit returned",
            member_id=membership.pk,
            penalties=[p.pk for p in owed],
        )
        Penalty.objects.filter(pk__in=[p.pk for p in owed]).update(
            status=PenaltyStatus.PAID, settled_by=SettledBy.DEPOSIT, paid_at=timezone.now(), ledger_transaction=posted
        )
    pot = pot_of(group)
    pot.refresh_from_db(fields=["balance"])
    sharing = [m for m in members if m.status != MembershipStatus.LEFT]
    if pot.balance > 0 and sharing:
        shares = allocate(pot.balance, [1] * len(sharing), group.currency)
        legs = [Leg(pot, -pot.balance)] + [
            Leg(get_wallet(user_id=m.user_id, currency=group.currency), share)
            for m, share in zip(sharing, shares, strict=True)
            if share
        ]
        post_for_group(
            group=group,
            kind=TransactionKind.PAYOUT,
            legs=legs,
            idempotency_key=f"pot-share-out:{group.pk}",
            what="what was left in the pot, shared out",
        )
    group.status = GroupStatus.COMPLETED
    group.finished_at = timezone.now()
    group.save(update_fields=["status", "finished_at", "updated_at"])
    return group


# --- reminders -----------------------------------------------------------------------------------------------


def send_reminders(*, group: SavingsGroup, today: date | None = None) -> int:
    """Remind each member of contributions due in two days and due today, once each (a unique row per reminder)."""
    today = today or local_today(group.tz)
    sent = 0
    for kind, due in ((ReminderKind.DUE_SOON, today + timedelta(days=2)), (ReminderKind.DUE_TODAY, today)):
        for contribution in (
            Contribution.objects.filter(cycle__group=group, status__in=UNPAID_STATUSES, due_date=due)
            .exclude(reminders__kind=kind)
            .select_related("membership__user", "cycle")
        ):
            _, created = ContributionReminder.objects.get_or_create(contribution=contribution, kind=kind)
            if not created:
                continue
            sent += 1
            notify(
                user=contribution.membership.user,
                kind=f"contribution_{kind}",
                title=f"{group.name}: {group.currency} {contribution.amount} due {due:%d %b}",
                body=f"Cycle {contribution.cycle.number} contribution.",
                data={"group": str(group.pk), "contribution": contribution.pk},
            )
    return sent
