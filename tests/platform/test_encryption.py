"""Encrypted fields: unreadable in the raw table, readable through the model, and after a key rotation."""

from io import StringIO

import pytest
from cryptography.fernet import Fernet
from django.core.management import call_command
from django.db import connection

from config.encryption import keyed_hash
from payments.models import BankAccount
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def raw_number(account: BankAccount) -> str:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT account_number FROM payments_bankaccount WHERE id = %s",
            [account.pk.hex if connection.vendor == "sqlite" else account.pk],
        )
        return cursor.fetchone()[0]


def make_account(number="0123456789") -> BankAccount:
    return BankAccount.objects.create(
        user=UserFactory(),
        provider="paystack",
        currency="NGN",
        bank_code="058",
        account_number=number,
        account_number_hash=keyed_hash(number),
        last4=number[-4:],
        account_name="Test Holder",
    )


def test_the_raw_table_holds_no_plaintext():
    account = make_account()
    stored = raw_number(account)
    assert "0123456789" not in stored and stored.startswith("gAAAA")
    assert BankAccount.objects.get(pk=account.pk).account_number == "0123456789"


def test_rotation_keeps_values_readable_and_drops_the_old_key(settings):
    old_key = settings.FIELD_ENCRYPTION_KEYS[0]
    account = make_account()
    new_key = Fernet.generate_key().decode()
    settings.FIELD_ENCRYPTION_KEYS = [new_key, old_key]
    out = StringIO()
    call_command("rotate_field_keys", stdout=out)
    assert "payments.BankAccount.account_number: 1 re-encrypted" in out.getvalue()
    settings.FIELD_ENCRYPTION_KEYS = [new_key]  # the old key is gone
    assert BankAccount.objects.get(pk=account.pk).account_number == "0123456789"
    settings.FIELD_ENCRYPTION_KEYS = [old_key]
    with pytest.raises(ValueError, match="could not be decrypted"):
        BankAccount.objects.get(pk=account.pk)


def test_the_same_number_twice_is_refused_by_its_hash():
    from django.db import IntegrityError

    account = make_account()
    with pytest.raises(IntegrityError):
        BankAccount.objects.create(
            user=account.user,
            provider="paystack",
            currency="NGN",
            bank_code="058",
            account_number="0123456789",
            account_number_hash=keyed_hash("0123456789"),
            last4="6789",
            account_name="Again",
        )
