"""A small but realistic world for the staff console: money moved through the payments services (deposits credited
and failed, withdrawals paid and returned with their fees, transfers), bill orders, groups with contributions on
time and late, paid penalties, loans with receivables (some in arrears), and the things staff must look at."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission
from django.test import Client
from django.utils import timezone

from accounts.models import KycSubmission
from billpay.models import BillOrder, OrderStatus
from contributions.models import (
    Contribution,
    ContributionStatus,
    Loan,
    LoanInstalment,
    LoanStatus,
    Penalty,
    PenaltyStatus,
    SettledBy,
)
from core.models import WebhookDelivery
from groups.models import GroupStatus
from payments.models import (
    AccountKind,
    Charge,
    PaymentReview,
    ReconciliationDecision,
    TransactionKind,
)
from payments.providers.base import PaymentStatus
from payments.services import Leg, get_house_account, get_owned_account, get_wallet, post_transaction, post_transfer
from payments.services.deposits import apply_charge_result
from payments.services.withdrawals import apply_transfer_result, start_withdrawal
from tests.factories import UserFactory
from tests.factories.billpay import BillerFactory, BillOrderFactory
from tests.factories.contributions import ContributionFactory, CycleFactory
from tests.factories.groups import MembershipFactory, SavingsGroupFactory
from tests.fixtures.money import fund_wallet


def staff_client(*, superuser: bool = False, perms: tuple[str, ...] = ()) -> Client:
    staff = UserFactory(is_staff=True, is_superuser=superuser)
    if perms:
        staff.user_permissions.add(*Permission.objects.filter(codename__in=perms))
    client = Client()
    client.force_login(staff)
    return client


def _deposit(user, amount: str, currency: str, provider: str, outcome: PaymentStatus, n: int) -> Charge:
    charge = Charge.objects.create(
        reference=f"PMJ-TEST-{user.pk.hex[:8]}-{n}",
        user=user,
        provider=provider,
        amount=Decimal(amount),
        currency=currency,
        callback_token=f"token-{user.pk.hex[:8]}-{n}",
    )
    apply_charge_result(charge_id=charge.pk, status=outcome, amount=Decimal(amount), currency=currency)
    return charge


def _paid(membership, amount: Decimal) -> object:
    """A contribution's posting: the member's wallet into the group's pot (a row that is paid needs one)."""
    wallet = get_wallet(user_id=membership.user_id, currency="KES")
    pot = get_owned_account(
        kind=AccountKind.GROUP_POT, owner_type="group", owner_id=membership.group_id, currency="KES"
    )
    return post_transaction(
        kind=TransactionKind.CONTRIBUTION,
        legs=[Leg(wallet, -amount), Leg(pot, amount)],
        idempotency_key=f"test-contribution:{membership.pk}:{wallet.balance}",
    )


def build_world(scale: int = 1) -> dict:
    """`scale` copies of everything, so a test can show the console's query count does not grow with the rows."""
    now = timezone.now()
    today = timezone.localdate()
    made: dict = {"users": []}
    for _ in range(scale):
        people = [UserFactory(kyc_tier=2) for _person in range(3)]
        made["users"] += people
        alice, bob, carol = people
        for person in people:
            fund_wallet(person, "50000.00", "KES")
            fund_wallet(person, "200000.00", "NGN")

        # deposits: credited, failed, pending, over three providers and two currencies
        _deposit(alice, "1500.00", "KES", "mpesa", PaymentStatus.SUCCEEDED, 1)
        _deposit(bob, "2500.00", "KES", "mpesa", PaymentStatus.FAILED, 2)
        _deposit(carol, "10000.00", "NGN", "paystack", PaymentStatus.SUCCEEDED, 3)
        _deposit(carol, "7000.00", "NGN", "flutterwave", PaymentStatus.SUCCEEDED, 4)
        _deposit(alice, "7000.00", "NGN", "flutterwave", PaymentStatus.FAILED, 5)
        pending = _deposit(bob, "300.00", "KES", "mpesa", PaymentStatus.PENDING, 6)

        # withdrawals: one paid (its fee is Pamoja's income), one returned, one still processing
        paid = start_withdrawal(user=alice, amount=Decimal("1000.00"), currency="KES", phone_number="+254700000001")
        apply_transfer_result(withdrawal_id=paid.pk, status=PaymentStatus.SUCCEEDED)
        returned = start_withdrawal(user=bob, amount=Decimal("500.00"), currency="KES", phone_number="+254700000002")
        apply_transfer_result(withdrawal_id=returned.pk, status=PaymentStatus.FAILED, message="wrong number")
        held = start_withdrawal(user=carol, amount=Decimal("800.00"), currency="KES", phone_number="+254700000003")

        # transfers
        post_transfer(sender=alice, recipient=bob, amount=Decimal("250.00"), currency="KES")
        post_transfer(sender=carol, recipient=alice, amount=Decimal("5000.00"), currency="NGN")

        # bills: delivered, failed, one pending for two hours (staff must look), one pending for a minute
        biller = BillerFactory()
        BillOrderFactory(user=alice, biller=biller, amount=Decimal("500.00"), status=OrderStatus.DELIVERED)
        BillOrderFactory(user=bob, biller=biller, amount=Decimal("200.00"), status=OrderStatus.FAILED)
        stuck = BillOrderFactory(user=carol, biller=biller, amount=Decimal("1000.00"))
        BillOrder.objects.filter(pk=stuck.pk).update(created_at=now - timedelta(hours=2))
        BillOrderFactory(user=carol, biller=biller, amount=Decimal("100.00"))

        # what staff must look at
        PaymentReview.objects.create(charge=pending, reason="Provider's charge differs from our record")
        PaymentReview.objects.create(withdrawal=held, reason="Provider's transfer amount differs from our record")
        PaymentReview.objects.create(charge=pending, reason="an old one", resolved=True)
        ReconciliationDecision.objects.create(
            charge=pending, provider_status="unknown", decision="provider_unreachable"
        )
        ReconciliationDecision.objects.create(withdrawal=paid, provider_status="succeeded", decision="settled")
        KycSubmission.objects.create(
            user=bob,
            country="KE",
            id_type="NATIONAL_ID",
            id_number="12345678",
            id_number_hash=f"hash-{bob.pk.hex}",
            first_name="Bob",
            last_name="Member",
            date_of_birth="1990-01-01",
        )
        WebhookDelivery.objects.create(provider="paystack", body="{}", signature_valid=False, outcome="bad_signature")
        WebhookDelivery.objects.create(provider="paystack", body="{}", signature_valid=True, outcome="credited")
        old = WebhookDelivery.objects.create(provider="paystack", body="{}", signature_valid=False)
        WebhookDelivery.objects.filter(pk=old.pk).update(received_at=now - timedelta(days=3))

        # a running chama: contributions due this month, on time, late, owed, not yet due
        group = SavingsGroupFactory(status=GroupStatus.ACTIVE, grace_days=1, start_date=today - timedelta(days=20))
        SavingsGroupFactory()  # forming
        members = [MembershipFactory(group=group, user=person) for person in people]
        cycle = CycleFactory(group=group, recipient=members[0], due_date=today - timedelta(days=10))
        later = CycleFactory(group=group, recipient=members[1], due_date=today)
        amount = group.contribution_amount
        on_time = ContributionFactory(cycle=cycle, membership=members[0])
        late = ContributionFactory(cycle=cycle, membership=members[1])
        ContributionFactory(cycle=cycle, membership=members[2], status=ContributionStatus.LATE)
        ContributionFactory(cycle=later, membership=members[0])
        for contribution, paid_at in ((on_time, now - timedelta(days=10)), (late, now - timedelta(days=5))):
            Contribution.objects.filter(pk=contribution.pk).update(
                status=ContributionStatus.PAID,
                settled_by=SettledBy.WALLET,
                paid_at=paid_at,
                ledger_transaction=_paid(contribution.membership, amount),
            )
        Penalty.objects.create(
            contribution=late,
            membership=members[1],
            amount=Decimal("100.00"),
            status=PenaltyStatus.PAID,
            settled_by=SettledBy.WALLET,
            paid_at=now - timedelta(days=5),
            ledger_transaction=_paid(members[1], Decimal("100.00")),
        )

        # loans: one repaying on schedule, one with an instalment past due
        for borrower, due in ((members[0], today + timedelta(days=20)), (members[1], today - timedelta(days=3))):
            loan = Loan.objects.create(
                group=group,
                borrower=borrower,
                principal=Decimal("3000.00"),
                term_months=3,
                purpose="stock",
                interest_method="flat",
                monthly_rate=Decimal("1.00"),
                status=LoanStatus.DISBURSED,
                disbursed_at=now,
            )
            receivable = get_owned_account(
                kind=AccountKind.LOAN_RECEIVABLE, owner_type="loan", owner_id=loan.pk, currency="KES"
            )
            issued = get_house_account(kind=AccountKind.LOANS_ISSUED, currency="KES")
            post_transaction(
                kind=TransactionKind.LOAN,
                legs=[Leg(issued, Decimal("-3000.00")), Leg(receivable, Decimal("3000.00"))],
                idempotency_key=f"test-loan:{loan.pk}",
            )
            LoanInstalment.objects.create(
                loan=loan, number=1, due_date=due, principal=Decimal("1000.00"), interest=Decimal("30.00")
            )
        made.setdefault("groups", []).append(group)
    return made


@pytest.fixture
def world(db):
    return build_world()
