"""Paying a chama's dues into Pamoja's M-Pesa paybill (Daraja C2B), matched to the member automatically.

A group that turns the paybill on gets an account number. A member pays to the paybill with that account number (and
their own registered phone), or with `<account>-<member number>` (their membership id, shown in the app). Daraja
confirms each payment once or many times: the M-Pesa receipt code (`TransID`) is unique, so each is recorded once,
and its money is posted at once from M-Pesa's clearing account to suspense, where it is Pamoja's and nobody's yet.
Matched, it moves to the member's wallet and settles their oldest dues up to its amount (the rest stays in the
wallet, where only their PIN moves it), in the same transaction. Unmatched, it waits in suspense until one official
of the group it names proposes the member and another confirms; one that names no group waits for staff.
"""

import secrets
import string

from django.db import IntegrityError, transaction

from contributions.errors import PaybillStateError
from contributions.models import PaybillPayment, PaybillStatus, SettledBy
from contributions.services.settlement import obligations_within, payouts_after_commit, post_settlement
from groups.errors import GroupStateError, NotAnOfficialError
from groups.models import GroupStatus, Membership, MembershipStatus, SavingsGroup
from groups.services import require_chair, require_official
from payments.models import AccountKind, TransactionKind
from payments.providers.mpesa.adapter import C2BConfirmation
from payments.services import Leg, get_house_account, get_wallet, post_transaction

ACCOUNT_ALPHABET = string.ascii_uppercase.replace("O", "").replace("I", "") + "23456789"
PAYBILL_PROVIDER = "mpesa_paybill"  # its own clearing account: ledger_check compares it with these payments
CLEARING_CODE = f"{PAYBILL_PROVIDER}:in"


def enable_paybill(*, actor: Membership) -> SavingsGroup:
    """The chair turns the paybill on for a KES group: it gets its account number (kept for good)."""
    require_chair(actor)
    with transaction.atomic():
        group = SavingsGroup.objects.select_for_update(no_key=True, of=("self",)).get(pk=actor.group_id)
        if group.currency != "KES":
            raise GroupStateError("The M-Pesa paybill takes Kenya shillings; this group saves in another currency.")
        if group.status in (GroupStatus.COMPLETED, GroupStatus.CANCELLED):
            raise GroupStateError("A finished group takes no payments.")
        if not group.paybill_account:
            for _ in range(10):
                candidate = "".join(secrets.choice(ACCOUNT_ALPHABET) for _ in range(6))
                if not SavingsGroup.objects.filter(paybill_account=candidate).exists():
                    break
            group.paybill_account = candidate
            group.save(update_fields=["paybill_account", "updated_at"])
    return group


def _match(bill_ref: str, msisdn: str) -> tuple[SavingsGroup | None, Membership | None]:
    """The group the account reference names, and the member: by `-<member number>`, else by the paying phone."""
    account, _, member_number = bill_ref.upper().replace(" ", "").partition("-")
    group = SavingsGroup.objects.filter(paybill_account=account).first() if account else None
    if group is None:
        return None, None
    members = group.memberships.filter(status=MembershipStatus.ACTIVE).select_related("user", "group")
    if member_number:
        # ASCII digits of a bigint at most: anything else names nobody (and must never fail the callback)
        named = member_number.isascii() and member_number.isdigit() and len(member_number) <= 18
        return group, members.filter(pk=int(member_number)).first() if named else None
    phone = "+" + msisdn.lstrip("+") if msisdn.isdigit() or msisdn.startswith("+") else ""
    found = [m for m in members if phone and m.user.phone_number == phone]
    return group, found[0] if len(found) == 1 else None


def receive_paybill_payment(*, confirmation: C2BConfirmation) -> PaybillPayment:
    """Daraja's confirmation: record and post it once, then apply it if it names a member."""
    existing = PaybillPayment.objects.filter(trans_id=confirmation.trans_id).first()
    if existing is not None:
        return existing
    group, membership = _match(confirmation.bill_ref, confirmation.msisdn)
    try:
        with transaction.atomic():
            received = post_transaction(
                kind=TransactionKind.DEPOSIT,
                legs=[
                    Leg(
                        get_house_account(kind=AccountKind.PROVIDER_CLEARING, currency="KES", code=CLEARING_CODE),
                        -confirmation.amount,
                    ),
                    Leg(get_house_account(kind=AccountKind.SUSPENSE, currency="KES"), confirmation.amount),
                ],
                idempotency_key=f"paybill:{confirmation.trans_id}",
                reference=confirmation.trans_id,
                memo=f"M-Pesa paybill {confirmation.trans_id}, account {confirmation.bill_ref}"[:255],
                metadata={"paybill": confirmation.trans_id, "bill_ref": confirmation.bill_ref},
            )
            payment = PaybillPayment.objects.create(
                trans_id=confirmation.trans_id,
                short_code=confirmation.short_code,
                bill_ref=confirmation.bill_ref,
                msisdn=confirmation.msisdn,
                payer_name=confirmation.payer_name,
                amount=confirmation.amount,
                paid_at=confirmation.paid_at,
                group=group,
                status=PaybillStatus.SUSPENSE,
                received_transaction=received,
            )
            if membership is not None and group is not None and group.status == GroupStatus.ACTIVE:
                _apply(payment, membership, status=PaybillStatus.MATCHED)
            return payment
    except IntegrityError:  # the same receipt delivered twice at once: the other delivery recorded it
        return PaybillPayment.objects.get(trans_id=confirmation.trans_id)


def _apply(payment: PaybillPayment, membership: Membership, *, status: str) -> None:
    """Suspense to the member's wallet, then their oldest dues up to the payment's amount (inside the caller's
    transaction, the payment row locked or just created)."""
    membership = (
        Membership.objects.select_for_update(no_key=True, of=("self",))
        .select_related("group", "user")
        .get(pk=membership.pk)
    )
    wallet = get_wallet(user_id=membership.user_id, currency="KES")
    payment.applied_transaction = post_transaction(
        kind=TransactionKind.DEPOSIT,
        legs=[
            Leg(get_house_account(kind=AccountKind.SUSPENSE, currency="KES"), -payment.amount),
            Leg(wallet, payment.amount),
        ],
        idempotency_key=f"paybill-apply:{payment.trans_id}",
        reference=payment.trans_id,
        memo=f"M-Pesa paybill {payment.trans_id} for {membership.group.name}"[:255],
        metadata={"paybill": payment.trans_id, "group": str(membership.group_id), "member": membership.pk},
    )
    owed = obligations_within(membership=membership, amount=payment.amount)
    if owed.total:
        post_settlement(
            membership=membership,
            owed=owed,
            source=wallet,
            settled_by=SettledBy.MPESA,
            metadata={"paybill": payment.trans_id},
        )
        if owed.contributions:
            payouts_after_commit(membership.group_id)
    payment.membership = membership
    payment.status = status
    payment.settled = owed.total
    payment.save(update_fields=["applied_transaction", "membership", "status", "settled"])


def propose_assignment(*, actor: Membership, payment: PaybillPayment, membership: Membership) -> PaybillPayment:
    """An official says whose payment an unmatched one is; another official confirms it."""
    require_official(actor)
    if membership.group_id != actor.group_id or not membership.is_active:
        raise GroupStateError("The payment can only go to an active member of this group.")
    with transaction.atomic():
        payment = PaybillPayment.objects.select_for_update(of=("self",)).get(pk=payment.pk)
        if payment.group_id != actor.group_id:
            raise PaybillStateError("This payment does not name your group.")
        if payment.status not in (PaybillStatus.SUSPENSE, PaybillStatus.PROPOSED):
            raise PaybillStateError("This payment is applied already.", details={"status": payment.status})
        payment.membership = membership
        payment.proposed_by = actor
        payment.status = PaybillStatus.PROPOSED
        payment.save(update_fields=["membership", "proposed_by", "status"])
    return payment


def confirm_assignment(*, actor: Membership, payment: PaybillPayment) -> PaybillPayment:
    """A second official confirms the proposal: the money moves to the member and pays their dues, once."""
    require_official(actor)
    with transaction.atomic():
        payment = PaybillPayment.objects.select_for_update(of=("self",)).get(pk=payment.pk)
        if payment.group_id != actor.group_id:
            raise PaybillStateError("This payment does not name your group.")
        if payment.status != PaybillStatus.PROPOSED or payment.membership is None:
            raise PaybillStateError(
                "Only a proposed assignment is confirmed, once.", details={"status": payment.status}
            )
        if payment.proposed_by_id == actor.pk:
            raise NotAnOfficialError("Another official must confirm an assignment you proposed.")
        if actor.group.status != GroupStatus.ACTIVE:
            raise GroupStateError("Only a running group applies payments.")
        payment.confirmed_by = actor
        _apply(payment, payment.membership, status=PaybillStatus.ASSIGNED)
        payment.save(update_fields=["confirmed_by"])
    return payment


def assign_paybill_payment_by_staff(*, payment_id: int, membership_id: int) -> PaybillPayment:
    """Finance staff: a payment waiting in suspense goes to the member staff established it is from (the payer's
    call, the M-Pesa statement). One that names a group goes only to an active member of that group; one that names
    none (a mistyped account) to an active member of any running KES group. Applied once, like any assignment."""
    with transaction.atomic():
        payment = PaybillPayment.objects.select_for_update(of=("self",)).get(pk=payment_id)
        if payment.status not in (PaybillStatus.SUSPENSE, PaybillStatus.PROPOSED):
            raise PaybillStateError("This payment is applied already.", details={"status": payment.status})
        membership = (
            Membership.objects.filter(pk=membership_id, status=MembershipStatus.ACTIVE).select_related("group").first()
        )
        if membership is None:
            raise PaybillStateError("No active member has this member number.", details={"member": membership_id})
        if payment.group_id is not None and membership.group_id != payment.group_id:
            raise PaybillStateError("This payment names another group: it goes to one of that group's members.")
        if membership.group.status != GroupStatus.ACTIVE or membership.group.currency != "KES":
            raise GroupStateError("Only a running group saving in Kenya shillings takes paybill payments.")
        payment.group = membership.group
        _apply(payment, membership, status=PaybillStatus.ASSIGNED)
        payment.save(update_fields=["group"])
    return payment


def accepts_paybill_account(bill_ref: str) -> bool:
    """Daraja's validation (when Safaricom enables it): take a payment only if its account names a group."""
    group, _member = _match(bill_ref, "")
    return group is not None and group.status == GroupStatus.ACTIVE
