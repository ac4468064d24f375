"""The posting service: balanced, locked, idempotent, append-only, reversible once."""

from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import IntegrityError, connection, transaction

from core.money import AmountError
from payments.errors import AlreadyReversedError, InsufficientFundsError, UnbalancedTransactionError
from payments.models import AccountKind, LedgerAccount, LedgerEntry, LedgerTransaction, TransactionKind
from payments.services import (
    Leg,
    get_house_account,
    get_wallet,
    ledger,
    post_transaction,
    post_transfer,
    reverse_transaction,
)
from payments.services.audit import run_ledger_check
from tests.factories import UserFactory
from tests.fixtures.money import fund_wallet

pytestmark = pytest.mark.django_db

D = Decimal


def counts():
    return LedgerTransaction.objects.count(), LedgerEntry.objects.count()


def test_posting_moves_guarded_balances_and_records_balance_after(ledger_is_clean):
    amina, chidi = UserFactory(), UserFactory()
    source = fund_wallet(amina, "1000.00")
    target = get_wallet(user_id=chidi.pk, currency="KES")
    posted = post_transaction(
        kind=TransactionKind.TRANSFER, legs=[Leg(source, D("-250.00")), Leg(target, D("250.00"))], idempotency_key="k1"
    )
    source.refresh_from_db()
    target.refresh_from_db()
    assert (source.balance, target.balance) == (D("750.00"), D("250.00"))
    assert sorted(posted.entries.values_list("balance_after", flat=True)) == [D("250.00"), D("750.00")]


def test_house_accounts_keep_no_cached_balance_and_may_go_negative(ledger_is_clean):
    wallet = fund_wallet(UserFactory(), "500.00")
    suspense = get_house_account(kind=AccountKind.SUSPENSE, currency="KES")
    suspense.refresh_from_db()
    assert suspense.balance == 0 and not suspense.is_guarded
    assert wallet.balance == D("500.00")
    assert LedgerEntry.objects.filter(account=suspense).get().amount == D("-500.00")


def test_unbalanced_posting_is_refused_and_writes_nothing():
    wallet = fund_wallet(UserFactory(), "100.00")
    fee = get_house_account(kind=AccountKind.FEE_INCOME, currency="KES")
    before = counts()
    with pytest.raises(UnbalancedTransactionError):
        post_transaction(
            kind=TransactionKind.FEE, legs=[Leg(wallet, D("-10.00")), Leg(fee, D("9.99"))], idempotency_key="unb"
        )
    assert counts() == before


def test_legs_must_balance_per_currency():
    kes = get_house_account(kind=AccountKind.SUSPENSE, currency="KES")
    ngn = get_house_account(kind=AccountKind.SUSPENSE, currency="NGN")
    with pytest.raises(UnbalancedTransactionError):
        post_transaction(
            kind=TransactionKind.ADJUSTMENT, legs=[Leg(kes, D("-1")), Leg(ngn, D("1"))], idempotency_key="x"
        )


@pytest.mark.parametrize("amount", ["0", "0.001"])
def test_zero_and_sub_minor_unit_legs_are_refused(amount):
    a = get_house_account(kind=AccountKind.SUSPENSE, currency="KES")
    b = get_house_account(kind=AccountKind.FEE_INCOME, currency="KES")
    with pytest.raises(UnbalancedTransactionError):
        post_transaction(
            kind=TransactionKind.ADJUSTMENT, legs=[Leg(a, -D(amount)), Leg(b, D(amount))], idempotency_key="z"
        )


def test_overdraft_is_refused_and_writes_nothing(ledger_is_clean):
    amina, chidi = UserFactory(), UserFactory()
    source = fund_wallet(amina, "100.00")
    target = get_wallet(user_id=chidi.pk, currency="KES")
    before = counts()
    with pytest.raises(InsufficientFundsError) as exc:
        post_transaction(
            kind=TransactionKind.TRANSFER,
            legs=[Leg(source, D("-100.01")), Leg(target, D("100.01"))],
            idempotency_key="over",
        )
    assert exc.value.details == {"currency": "KES", "available": "100.00"}
    assert counts() == before
    source.refresh_from_db()
    assert source.balance == D("100.00")


def test_same_idempotency_key_posts_once(ledger_is_clean):
    source = fund_wallet(UserFactory(), "100.00")
    target = get_wallet(user_id=UserFactory().pk, currency="KES")
    legs = [Leg(source, D("-60.00")), Leg(target, D("60.00"))]
    first = post_transaction(kind=TransactionKind.TRANSFER, legs=legs, idempotency_key="once")
    second = post_transaction(kind=TransactionKind.TRANSFER, legs=legs, idempotency_key="once")
    assert first.pk == second.pk
    source.refresh_from_db()
    assert source.balance == D("40.00")


def test_reversal_mirrors_the_original_once(ledger_is_clean):
    source = fund_wallet(UserFactory(), "100.00")
    target = get_wallet(user_id=UserFactory().pk, currency="KES")
    original = post_transaction(
        kind=TransactionKind.TRANSFER, legs=[Leg(source, D("-30.00")), Leg(target, D("30.00"))], idempotency_key="o"
    )
    reversal = reverse_transaction(original=original, reason="sent by mistake")
    assert reversal.reverses_id == original.pk and reversal.kind == TransactionKind.REVERSAL
    source.refresh_from_db()
    target.refresh_from_db()
    assert (source.balance, target.balance) == (D("100.00"), D("0.00"))
    assert reverse_transaction(original=original, reason="retry").pk == reversal.pk  # same default key: replay
    with pytest.raises(AlreadyReversedError):
        reverse_transaction(original=original, reason="again", idempotency_key="another-key")
    with pytest.raises(AlreadyReversedError):
        reverse_transaction(original=reversal, reason="undo the undo")


def test_reversal_that_would_overdraw_is_refused(ledger_is_clean):
    source = fund_wallet(UserFactory(), "100.00")
    target = get_wallet(user_id=UserFactory().pk, currency="KES")
    original = post_transaction(
        kind=TransactionKind.TRANSFER, legs=[Leg(source, D("-80.00")), Leg(target, D("80.00"))], idempotency_key="s"
    )
    elsewhere = get_wallet(user_id=UserFactory().pk, currency="KES")
    post_transaction(
        kind=TransactionKind.TRANSFER, legs=[Leg(target, D("-50.00")), Leg(elsewhere, D("50.00"))], idempotency_key="t"
    )
    with pytest.raises(InsufficientFundsError):
        reverse_transaction(original=original, reason="too late")
    assert not LedgerTransaction.objects.filter(reverses=original).exists()


def test_database_forbids_a_negative_guarded_balance():
    wallet = fund_wallet(UserFactory(), "10.00")
    with pytest.raises(IntegrityError), transaction.atomic():
        LedgerAccount.objects.filter(pk=wallet.pk).update(balance=D("-1.00"))


def test_unknown_currency_account_is_refused():
    with pytest.raises(AmountError):
        get_wallet(user_id=UserFactory().pk, currency="EUR")


def test_ledger_check_is_clean_then_reports_a_tampered_balance():
    wallet = fund_wallet(UserFactory(), "10.00")
    out = StringIO()
    call_command("ledger_check", stdout=out)
    assert "balance" in out.getvalue()
    LedgerAccount.objects.filter(pk=wallet.pk).update(balance=D("11.00"))
    err = StringIO()
    with pytest.raises(CommandError, match="1 discrepancies"):
        call_command("ledger_check", stderr=err)
    assert f"account {wallet.pk}" in err.getvalue() and "sum to 10.00" in err.getvalue()


def test_nightly_ledger_check_emails_staff_on_a_discrepancy(mailoutbox):
    UserFactory(is_staff=True, email="finance@pamoja.africa")
    wallet = fund_wallet(UserFactory(), "10.00")
    assert run_ledger_check() == 0 and mailoutbox == []
    LedgerAccount.objects.filter(pk=wallet.pk).update(balance=D("9.00"))
    assert run_ledger_check() == 1
    assert mailoutbox[0].to == ["finance@pamoja.africa"]
    assert "ledger_check" in mailoutbox[0].subject


def test_reversing_a_transfer_marks_it_reversed(ledger_is_clean):
    sender, recipient = UserFactory(), UserFactory()
    fund_wallet(sender, "50.00")
    transfer = post_transfer(sender=sender, recipient=recipient, amount=D("20.00"), currency="KES")
    reverse_transaction(original=transfer.ledger_transaction, reason="wrong member")
    transfer.refresh_from_db()
    assert transfer.status == "reversed"


def test_a_retry_after_the_money_moved_on_returns_the_posting_not_a_refusal(ledger_is_clean):
    source = fund_wallet(UserFactory(), "100.00")
    target = get_wallet(user_id=UserFactory().pk, currency="KES")
    legs = [Leg(source, D("-80.00")), Leg(target, D("80.00"))]
    first = post_transaction(kind=TransactionKind.TRANSFER, legs=legs, idempotency_key="spent")
    before = counts()
    assert post_transaction(kind=TransactionKind.TRANSFER, legs=legs, idempotency_key="spent").pk == first.pk
    assert counts() == before
    with pytest.raises(InsufficientFundsError):  # the same legs under a new key are refused: 20.00 is left
        post_transaction(kind=TransactionKind.TRANSFER, legs=legs, idempotency_key="new")


def test_entries_keep_the_order_of_the_legs_and_each_balance_after_it(ledger_is_clean):
    source = fund_wallet(UserFactory(), "100.00")
    target = get_wallet(user_id=UserFactory().pk, currency="KES")
    suspense = get_house_account(kind=AccountKind.SUSPENSE, currency="KES")
    legs = [Leg(source, D("-10.00")), Leg(target, D("4.00")), Leg(suspense, D("1.00")), Leg(target, D("5.00"))]
    posted = post_transaction(kind=TransactionKind.TRANSFER, legs=legs, idempotency_key="ordered", metadata={"n": 1})
    rows = list(posted.entries.order_by("id").values_list("account_id", "amount", "balance_after"))
    assert rows == [
        (source.pk, D("-10.00"), D("90.00")),
        (target.pk, D("4.00"), D("4.00")),
        (suspense.pk, D("1.00"), None),
        (target.pk, D("5.00"), D("9.00")),
    ]
    stored = LedgerTransaction.objects.get(pk=posted.pk)
    assert (stored.created_at, stored.metadata, stored.kind) == (posted.created_at, {"n": 1}, TransactionKind.TRANSFER)
    assert LedgerAccount.objects.get(pk=target.pk).balance == target.balance == D("9.00")
    assert LedgerAccount.objects.get(pk=source.pk).balance == source.balance == D("90.00")


@pytest.mark.parametrize("writer", ["_insert_posting_statement", "_insert_posting_orm"])
def test_both_writers_leave_the_same_rows_and_write_nothing_under_a_taken_key(writer, ledger_is_clean):
    """PostgreSQL writes a posting in one statement, SQLite through the ORM; CI runs both on PostgreSQL."""
    if writer == "_insert_posting_statement" and connection.vendor != "postgresql":
        pytest.skip("the one-statement posting is PostgreSQL's (a data-modifying WITH)")
    write = getattr(ledger, writer)
    source = fund_wallet(UserFactory(), "100.00")
    target = get_wallet(user_id=UserFactory().pk, currency="KES")
    legs = [Leg(source, D("-30.00")), Leg(target, D("30.00"))]
    with transaction.atomic():
        locked = ledger.lock_accounts([source, target])
        posting = ledger.check_posting(legs, locked)
        row = LedgerTransaction(kind=TransactionKind.TRANSFER, idempotency_key=f"w:{writer}", memo="m", metadata={})
        assert write(posting, row) is True
    assert row.pk is not None and not row._state.adding and row.created_at is not None
    assert list(row.entries.order_by("id").values_list("account_id", "amount", "balance_after")) == [
        (source.pk, D("-30.00"), D("70.00")),
        (target.pk, D("30.00"), D("30.00")),
    ]
    assert dict(LedgerAccount.objects.filter(pk__in=[source.pk, target.pk]).values_list("pk", "balance")) == {
        source.pk: D("70.00"),
        target.pk: D("30.00"),
    }
    before = counts()
    with transaction.atomic():
        locked = ledger.lock_accounts([source, target])
        again = LedgerTransaction(kind=TransactionKind.TRANSFER, idempotency_key=f"w:{writer}")
        assert write(ledger.check_posting(legs, locked), again) is False
    assert counts() == before and again.pk is None
    assert LedgerAccount.objects.get(pk=source.pk).balance == D("70.00")
