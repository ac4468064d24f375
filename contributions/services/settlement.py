"""Paying what a member owes: from the wallet (PIN checked by the caller), from an M-Pesa charge opened for one
obligation, or recorded cash settled into the group's cash book; oldest first, whole items only."""

import hashlib
import uuid
from dataclasses import dataclass, field
from decimal import Decimal

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
    Contribution,
    ContributionStatus,
    Penalty,
    PenaltyStatus,
    SettledBy,
)
from contributions.services.ledger import credit_of, escrow_of, post_for_group, pot_of
from core.enqueue import enqueue
from core.money import round_money
from groups.errors import GroupStateError
from groups.models import (
    GroupStatus,
    Membership,
    SavingsGroup,
)
from groups.notices import group_context
from notifications.rendering import money_text
from notifications.services import notify
from payments.models import Card, Charge, LedgerAccount, LedgerTransaction, TransactionKind
from payments.services import Leg, charge_saved_card, get_wallet, start_deposit

CHARGE_PURPOSE = "contribution"


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
    """One posting from `source`, e-money (a member's wallet): contributions and penalties to the pot (penalties
    belong to the group; `penalty_amount` in the posting says how much of it they are), a covered contribution
    refills the member's deposit. Marks what it settled. Runs inside the caller's transaction. Cash an official
    took goes through `post_cash_settlement` instead."""
    group = membership.group
    legs = [Leg(source, -owed.total)]
    penalty_total = sum((p.amount for p in owed.penalties), Decimal("0"))
    to_pot = sum((c.amount for c in owed.contributions if c.status != ContributionStatus.COVERED), Decimal("0"))
    if to_pot + penalty_total:
        legs.append(Leg(pot_of(group), to_pot + penalty_total))
    if penalty_total:
        metadata = {**(metadata or {}), "penalty_amount": str(penalty_total)}
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
    for contribution in owed.contributions:
        tell_contribution_paid(group=membership.group, membership=membership, contribution=contribution)
    return owed


def tell_contribution_paid(*, group: SavingsGroup, membership: Membership, contribution: Contribution) -> None:
    """The member hears of each contribution once it is paid, however it was paid (`contribution.cycle` loaded)."""
    notify(
        user=membership.user,
        event="contribution_paid",
        context={
            **group_context(group),
            "amount": money_text(contribution.amount, group.currency),
            "cycle": str(contribution.cycle.number),
        },
        key=f"paid:{contribution.pk}",
    )


def outstanding_total(*, membership: Membership) -> Decimal:
    """Everything the member still owes the group: owed penalties and every unpaid contribution, due or not."""
    penalties = membership.penalties.filter(status=PenaltyStatus.OWED).aggregate(total=Sum("amount"))["total"]
    contributions = membership.contributions.filter(status__in=OWED_STATUSES).aggregate(total=Sum("amount"))["total"]
    return round_money((penalties or Decimal("0")) + (contributions or Decimal("0")), membership.group.currency)


def obligations_within(*, membership: Membership, amount: Decimal, penalty: Penalty | None = None) -> Settlement:
    """What `amount` settles, oldest first and whole items only: `penalty` alone if given, else every owed
    penalty, then owed contributions by due date. The rest of `amount` is the caller's remainder."""
    candidates: list[Penalty | Contribution]
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
        if isinstance(item, Penalty):
            settled.penalties.append(item)
        else:
            settled.contributions.append(item)
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
    payouts_after_commit(membership.group_id)
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


def start_card_payment(*, membership: Membership, contribution: Contribution, card: Card) -> Charge:
    """A saved card charged for what paying `contribution` costs now (the caller has checked the PIN and that the
    card is the member's); when it succeeds the money lands in the wallet and goes straight on to the pot
    (`settle_contribution_charge`), as an M-Pesa payment does."""
    group = membership.group
    if contribution.status == ContributionStatus.PAID:
        raise ContributionAlreadyPaidError()
    if group.status != GroupStatus.ACTIVE:
        raise ContributionNotPayableError("This group is not running.")
    owed = obligations_through(membership=membership, target=contribution)
    return charge_saved_card(
        user=membership.user,
        card=card,
        amount=owed.total,
        currency=group.currency,
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
        settled_by=SettledBy.MPESA if charge.provider == "mpesa" else SettledBy.CARD,
        metadata={"charge": charge.reference},
    )
    transaction.on_commit(lambda: _enqueue_payouts(membership.group_id))


def payouts_after_commit(group_id) -> None:
    transaction.on_commit(lambda: _enqueue_payouts(group_id))


def _enqueue_payouts(group_id) -> None:
    # imported here: the tasks module imports these services (a task is a thin wrapper around one)
    from contributions.tasks import run_group_payouts

    enqueue(run_group_payouts, str(group_id))  # broker down: the group's daily payout job pays it


def pay_in_part(*, membership: Membership, amount: Decimal) -> tuple[Settlement, Decimal]:
    """Any amount from the member's wallet towards their dues (groups that allow it): it joins their credit with the
    group, and the credit settles whole obligations, oldest first (penalties, then contributions by due date), as
    far as it reaches. Returns what it settled and the credit left. The caller has checked the PIN."""
    with transaction.atomic():
        membership = (
            Membership.objects.select_for_update(no_key=True, of=("self",))
            .select_related("group")
            .get(pk=membership.pk)
        )
        group = membership.group
        if not group.allow_partial_payments:
            raise GroupStateError("This group takes whole dues only.")
        if group.status != GroupStatus.ACTIVE or not membership.is_active:
            raise GroupStateError("Dues are paid by active members of a running group.")
        credit = credit_of(membership)
        post_for_group(
            group=group,
            kind=TransactionKind.CONTRIBUTION,
            legs=[Leg(get_wallet(user_id=membership.user_id, currency=group.currency), -amount), Leg(credit, amount)],
            idempotency_key=f"part-payment:{membership.pk}:{uuid.uuid4()}",
            what="part-payment towards dues",
            member_id=membership.pk,
            part_payment=str(amount),
        )
        credit.refresh_from_db(fields=["balance"])
        owed = obligations_within(membership=membership, amount=credit.balance)
        if owed.total:
            post_settlement(membership=membership, owed=owed, source=credit, settled_by=SettledBy.WALLET)
            credit.refresh_from_db(fields=["balance"])
    if owed.contributions:
        payouts_after_commit(group.pk)
    return owed, credit.balance
