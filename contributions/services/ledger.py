"""A group's ledger accounts, and the one way every group posting is made.

The pot is one guarded account owned by ("group", id); each member's security deposit sits in a guarded escrow
account of their own, owned by ("membership", id), so one member's deposit can never cover another's shortfall
by accident and its balance can never go below zero.
"""

from groups.models import Membership, SavingsGroup
from payments.models import AccountKind, LedgerAccount, LedgerTransaction, TransactionKind
from payments.services import Leg, get_owned_account, post_transaction


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


def welfare_of(group: SavingsGroup) -> LedgerAccount:
    """The welfare fund: kept apart from the pot, spent only by resolution."""
    return get_owned_account(
        kind=AccountKind.GROUP_WELFARE, owner_type="group", owner_id=group.pk, currency=group.currency
    )


def credit_of(membership: Membership) -> LedgerAccount:
    """A member's part-payments, held until they add up to whole dues (groups that allow partial payments)."""
    return get_owned_account(
        kind=AccountKind.GROUP_MEMBER_CREDIT,
        owner_type="membership",
        owner_id=membership.pk,
        currency=membership.group.currency,
    )


def escrow_of(membership: Membership) -> LedgerAccount:
    return get_owned_account(
        kind=AccountKind.GROUP_DEPOSIT_ESCROW,
        owner_type="membership",
        owner_id=membership.pk,
        currency=membership.group.currency,
    )
