"""`ledger_check` proves e-money is backed, not only that entries sum to zero: the damage the money holes left
(cash in a wallet, a withdrawal refunded twice, a credit no provider settled) is seen."""

from decimal import Decimal

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from payments.models import AccountKind, TransactionKind, Withdrawal
from payments.selectors import ledger_discrepancies
from payments.services import Leg, get_house_account, get_wallet, post_transaction, reverse_transaction
from tests.factories import UserFactory
from tests.fixtures.money import fund_wallet
from tests.payments.test_withdrawals import client, link, member, withdraw  # noqa: F401 (fixtures)

pytestmark = pytest.mark.django_db


def test_a_credit_that_no_provider_settled_is_seen(member):  # noqa: F811
    post_transaction(
        kind=TransactionKind.DEPOSIT,
        legs=[
            Leg(
                get_house_account(kind=AccountKind.PROVIDER_CLEARING, currency="NGN", code="paystack:in"),
                Decimal("-50"),
            ),
            Leg(get_wallet(user_id=member.pk, currency="NGN"), Decimal("50")),
        ],
        idempotency_key="forged-credit",
    )
    problems = ledger_discrepancies()
    assert any("'paystack:in'" in p and "-50.00" in p for p in problems), problems
    with pytest.raises(CommandError, match="discrepanc"):
        call_command("ledger_check")


def test_a_withdrawal_refunded_twice_is_seen(client):  # noqa: F811
    bank = link(client).json()["id"]
    answer = withdraw(client, {"amount": "1000.00", "currency": "NGN", "bank_account": bank})
    assert answer.status_code == 201, answer.json()
    assert ledger_discrepancies() == []
    withdrawal = Withdrawal.objects.get()
    total = withdrawal.amount + withdrawal.fee
    in_flight = get_house_account(kind=AccountKind.IN_FLIGHT, currency="NGN", code=withdrawal.provider)
    for key in ("refund-1", "refund-2"):  # what a forged FAILED webhook after a real one did
        post_transaction(
            kind=TransactionKind.WITHDRAWAL_RETURN,
            legs=[Leg(in_flight, -total), Leg(get_wallet(user_id=client.user.pk, currency="NGN"), total)],
            idempotency_key=key,
        )
    Withdrawal.objects.filter(pk=withdrawal.pk).update(status="failed")
    problems = ledger_discrepancies()
    assert any("in-flight" in p for p in problems), problems


def test_staff_funding_through_suspense_is_not_a_discrepancy():
    fund_wallet(UserFactory(), "100.00")
    assert ledger_discrepancies() == []
    call_command("ledger_check")


def test_a_forged_credit_that_staff_reversed_is_clean_again(member):  # noqa: F811
    forged = post_transaction(
        kind=TransactionKind.DEPOSIT,
        legs=[
            Leg(
                get_house_account(kind=AccountKind.PROVIDER_CLEARING, currency="NGN", code="paystack:in"),
                Decimal("-50"),
            ),
            Leg(get_wallet(user_id=member.pk, currency="NGN"), Decimal("50")),
        ],
        idempotency_key="forged-then-reversed",
    )
    assert ledger_discrepancies() != []
    reverse_transaction(original=forged, reason="no provider settled it")
    assert ledger_discrepancies() == []
