"""A group's ledger accounts and the dues paid before it starts (security deposit, registration fee).

The pot is one guarded account owned by ("group", id); each member's security deposit sits in a guarded escrow
account of their own, owned by ("membership", id), so one member's deposit can never cover another's shortfall
by accident and its balance can never go below zero.
"""

from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from groups.errors import GroupStateError
from groups.models import GroupStatus, Membership, MembershipStatus, SavingsGroup
from payments.models import AccountKind, LedgerAccount, LedgerTransaction, TransactionKind
from payments.services import Leg, get_owned_account, get_wallet, post_transaction


def post_for_group(
    *,
    group: SavingsGroup,
    kind: TransactionKind,
    legs: list[Leg],
    idempotency_key: str,
    what: str,
    member_id: int | None = None,
    **details,
) -> LedgerTransaction:
    """Every posting about a group's money goes through here, so each carries the group as its reference and,
    when it concerns one member, `metadata.member`: statements find a group's and a member's postings by them."""
    metadata = {"group": str(group.pk), **details}
    if member_id is not None:
        metadata["member"] = member_id
    return post_transaction(
        kind=kind,
        legs=legs,
        idempotency_key=idempotency_key,
        reference=str(group.pk),
        memo=f"{group.name}: {what}"[:255],
        metadata=metadata,
    )


def pot_of(group: SavingsGroup) -> LedgerAccount:
    return get_owned_account(kind=AccountKind.GROUP_POT, owner_type="group", owner_id=group.pk, currency=group.currency)


def escrow_of(membership: Membership) -> LedgerAccount:
    return get_owned_account(
        kind=AccountKind.GROUP_DEPOSIT_ESCROW,
        owner_type="membership",
        owner_id=membership.pk,
        currency=membership.group.currency,
    )


def dues_of(group: SavingsGroup) -> Decimal:
    return group.security_deposit + group.registration_fee


def _dues_postings(membership: Membership):
    return LedgerTransaction.objects.filter(
        kind=TransactionKind.DEPOSIT_HOLD, idempotency_key__startswith=f"group-dues:{membership.pk}:"
    )


def pay_group_dues(*, membership: Membership) -> LedgerTransaction:
    """Move the security deposit (into the member's escrow) and the registration fee (into the pot) from the
    member's wallet, once. The caller has already checked the PIN.

    Locks the group row first (the lock order of every group state change: group, then memberships in id order,
    then ledger accounts), so a cancel, start or change of the dues cannot pass between the check and the posting.
    """
    with transaction.atomic():
        group = SavingsGroup.objects.select_for_update(no_key=True, of=("self",)).get(pk=membership.group_id)
        membership = Membership.objects.select_for_update(no_key=True, of=("self",)).get(pk=membership.pk)
        membership.group = group
        if group.status != GroupStatus.FORMING:
            raise GroupStateError("Dues are paid while the group is forming.")
        if membership.status == MembershipStatus.LEFT:
            raise GroupStateError("You have left this group.")
        if membership.dues_paid_at is not None:
            raise GroupStateError("You have already paid this group's dues.")
        if dues_of(group) == 0:
            raise GroupStateError("This group asks for no deposit or registration fee.")
        wallet = get_wallet(user_id=membership.user_id, currency=group.currency)
        legs = [Leg(wallet, -dues_of(group))]
        if group.security_deposit:
            legs.append(Leg(escrow_of(membership), group.security_deposit))
        if group.registration_fee:
            legs.append(Leg(pot_of(group), group.registration_fee))
        posted = post_for_group(
            group=group,
            kind=TransactionKind.DEPOSIT_HOLD,
            legs=legs,
            # the member's n-th payment of dues (a member who left and came back pays again)
            idempotency_key=f"group-dues:{membership.pk}:{_dues_postings(membership).count() + 1}",
            what="deposit and registration fee",
            member_id=membership.pk,
        )
        membership.dues_paid_at = timezone.now()
        membership.deposit_paid = group.security_deposit
        membership.registration_fee_paid = group.registration_fee
        membership.save(update_fields=["dues_paid_at", "deposit_paid", "registration_fee_paid"])
        return posted


def refund_group_dues(*, membership: Membership, reason: str) -> LedgerTransaction | None:
    """Give back what the member paid before the group started (a member leaving a forming group, or a group
    cancelled before it started). Runs inside the caller's transaction, with the group row and then the membership
    locked (so no dues payment can land after it). Once per payment: the key names the dues posting it undoes."""
    group = membership.group
    if membership.dues_paid_at is None:
        return None
    paid = _dues_postings(membership).order_by("-pk").first()
    wallet = get_wallet(user_id=membership.user_id, currency=group.currency)
    legs = []
    if membership.deposit_paid:
        legs.append(Leg(escrow_of(membership), -membership.deposit_paid))
    if membership.registration_fee_paid:
        legs.append(Leg(pot_of(group), -membership.registration_fee_paid))
    total = membership.deposit_paid + membership.registration_fee_paid
    legs.append(Leg(wallet, total))
    posted = post_for_group(
        group=group,
        kind=TransactionKind.DEPOSIT_HOLD,
        legs=legs,
        idempotency_key=f"group-dues-refund:{membership.pk}:{paid.pk if paid else membership.dues_paid_at.isoformat()}",
        what=f"dues refunded ({reason})",
        member_id=membership.pk,
        reason=reason,
    )
    membership.dues_paid_at = None
    membership.deposit_paid = Decimal("0")
    membership.registration_fee_paid = Decimal("0")
    membership.save(update_fields=["dues_paid_at", "deposit_paid", "registration_fee_paid"])
    return posted
