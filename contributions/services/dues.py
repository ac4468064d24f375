"""The dues a member pays before the group starts (security deposit, registration fee), and their refund if the
member leaves or the group is cancelled before it starts."""

from decimal import Decimal

from django.db import transaction

from contributions.services.ledger import escrow_of, post_for_group, pot_of
from groups.errors import GroupStateError
from groups.models import GroupStatus, Membership, MembershipStatus, SavingsGroup
from groups.services import record_dues
from payments.models import LedgerTransaction, TransactionKind
from payments.services import Leg, get_wallet


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
        if group.dues == 0:
            raise GroupStateError("This group asks for no deposit or registration fee.")
        wallet = get_wallet(user_id=membership.user_id, currency=group.currency)
        legs = [Leg(wallet, -group.dues)]
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
        record_dues(membership=membership, deposit=group.security_deposit, registration_fee=group.registration_fee)
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
    record_dues(membership=membership, deposit=Decimal("0"), registration_fee=Decimal("0"))
    return posted
