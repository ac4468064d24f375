"""Reads about a group's money: the pot, payout turns and swaps, fines, loans and recorded payments. The caller
has already been found a member (`groups.selectors.membership_of`); officials see everyone's, members their own."""

from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db.models import QuerySet, Sum

from contributions.errors import PaybillPaymentNotFoundError
from contributions.models import (
    Cycle,
    Loan,
    LoanGuarantee,
    PaybillPayment,
    PayoutDestination,
    PayoutDestinationKind,
    Penalty,
    RecordedPayment,
    SwapRequest,
)
from contributions.selectors.balances import owned_balance
from contributions.selectors.reports import headline_figures
from groups import rotation
from groups.errors import GroupNotFoundError
from groups.models import GroupStatus, Membership, MembershipStatus, PayoutOrder, SavingsGroup
from groups.services import planned_order
from payments.models import AccountKind


def pot_balance_of(*, group: SavingsGroup) -> Decimal:
    return owned_balance(kind=AccountKind.GROUP_POT, owner_type="group", owner_id=group.pk, currency=group.currency)


def swaps_of(*, group: SavingsGroup) -> QuerySet[SwapRequest]:
    return group.swap_requests.select_related("requested_by", "counterparty")


def swap_in(*, group: SavingsGroup, swap_id) -> SwapRequest:
    swap = swaps_of(group=group).filter(pk=swap_id).first()
    if swap is None:
        raise GroupNotFoundError("No such swap request in this group.")
    return swap


def rotation_of(*, group: SavingsGroup) -> dict:
    """The payout order: the schedule once started; before that the planned order (none yet for a random draw,
    whose seed stays secret until start)."""
    order: list[dict[str, Any]] = []
    if group.status == GroupStatus.FORMING:
        members = list(group.memberships.filter(status=MembershipStatus.ACTIVE))
        if group.payout_order != PayoutOrder.RANDOM and members:
            for position, (membership, slot) in enumerate(planned_order(group, members), start=1):
                order.append(
                    {"position": position, "cycle": None, "user": membership.user_id, "slot": slot, "due_date": None}
                )
    else:
        for cycle in Cycle.objects.filter(group=group).select_related("recipient").order_by("number"):
            if cycle.recipient is None:  # a savings group's cycles: nobody takes the pot
                continue
            order.append(
                {
                    "position": cycle.number,
                    "cycle": cycle.number,
                    "user": cycle.recipient.user_id,
                    "slot": cycle.recipient_slot,
                    "due_date": cycle.due_date,
                }
            )
    for entry in order:
        entry["token"] = f"{entry['user']}:{entry['slot']}"
    revealed = group.payout_order == PayoutOrder.RANDOM and group.status != GroupStatus.FORMING
    return {
        "method": group.payout_order,
        "commitment": group.seed_commitment or None,
        "seed": group.seed if revealed else None,
        "algorithm": rotation.__doc__.strip() if group.payout_order == PayoutOrder.RANDOM else "",
        "order": order,
    }


def penalties_visible_to(*, membership: Membership):
    penalties = Penalty.objects.filter(membership__group_id=membership.group_id).select_related("membership")
    if not membership.is_official:
        penalties = penalties.filter(membership=membership)
    return penalties.order_by("-created_at", "-pk")


def loans_of(*, group: SavingsGroup):
    return Loan.objects.filter(group=group).select_related("borrower", "group")


def loan_in(*, group: SavingsGroup, loan_id):
    loan = (
        loans_of(group=group)
        .prefetch_related("instalments", "guarantees__guarantor", "decisions")
        .filter(pk=loan_id)
        .first()
    )
    if loan is None:
        raise GroupNotFoundError("No such loan in this group.")
    return loan


def guarantee_in(*, group: SavingsGroup, guarantee_id):
    guarantee = LoanGuarantee.objects.filter(pk=guarantee_id, loan__group=group).select_related("loan").first()
    if guarantee is None:
        raise GroupNotFoundError("No such guarantee request in this group.")
    return guarantee


def recorded_payments_visible_to(*, membership: Membership):
    payments = RecordedPayment.objects.filter(group_id=membership.group_id).select_related("member")
    if not membership.is_official:
        payments = payments.filter(member=membership)
    return payments


def recorded_payment_in(*, group: SavingsGroup, payment_id):
    payment = RecordedPayment.objects.filter(group=group, pk=payment_id).first()
    if payment is None:
        raise GroupNotFoundError("No such recorded payment in this group.")
    return payment


def money_figures(*, group: SavingsGroup, headline: bool) -> dict:
    """What a group's answer shows of its money: the pot, and (for one group's own view) the headline figures."""
    return {"pot_balance": pot_balance_of(group=group), "figures": headline_figures(group=group) if headline else None}


def credit_balance(*, membership: Membership) -> Decimal:
    """What the member has paid in part and not yet settled."""
    return owned_balance(
        kind=AccountKind.GROUP_MEMBER_CREDIT,
        owner_type="membership",
        owner_id=membership.pk,
        currency=membership.group.currency,
    )


def payout_destination_of(*, membership: Membership) -> dict:
    """The member's choice for this group, or the wallet (the default, stored nowhere)."""
    chosen = PayoutDestination.objects.filter(membership=membership).select_related("bank_account").first()
    if chosen is None:
        return {
            "kind": PayoutDestinationKind.WALLET,
            "bank_account_id": None,
            "bank_account_label": None,
            "phone_number": "",
        }
    account = chosen.bank_account
    return {
        "kind": chosen.kind,
        "bank_account_id": account.pk if account else None,
        "bank_account_label": f"{account.bank_name or account.bank_code} ••{account.last4}" if account else None,
        "phone_number": chosen.phone_number,
    }


def paybill_of(*, membership: Membership) -> dict:
    """The group's paybill details and its payments (officials: all the group's, members: their own)."""
    group = membership.group
    payments = PaybillPayment.objects.filter(group=group).order_by("-created_at", "-id")
    if not membership.is_official:
        payments = payments.filter(membership=membership)
    account = group.paybill_account
    return {
        "enabled": bool(account),
        "short_code": settings.MPESA_SHORTCODE,
        "account": account,
        "my_account": f"{account}-{membership.pk}" if account else None,
        "payments": list(payments[:200]),
    }


def paybill_payment_in(*, group: SavingsGroup, payment_id: int) -> PaybillPayment:
    found = PaybillPayment.objects.filter(group=group, pk=payment_id).first()
    if found is None:
        raise PaybillPaymentNotFoundError()
    return found


def paybill_clearing_backing() -> dict[tuple[str, str], Decimal]:
    """What M-Pesa owes us for paybill payments (ledger_check's backing for the paybill's clearing account)."""
    total = PaybillPayment.objects.aggregate(total=Sum("amount"))["total"] or Decimal("0")
    return {("mpesa_paybill:in", "KES"): -total} if total else {}
