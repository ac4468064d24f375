from django.db import IntegrityError, transaction

from accounts.models import User
from config.encryption import keyed_hash
from core.errors import ConflictError
from payments.models import BankAccount
from payments.providers.registry import get_provider
from payments.services.deposits import check_provider_takes


def link_bank_account(
    *,
    user: User,
    provider: str,
    currency: str,
    bank_code: str,
    account_number: str,
    bank_name: str = "",
    make_primary: bool = False,
) -> BankAccount:
    """Resolve the holder's name with the provider, register a transfer recipient, and keep the account.

    The user's first account becomes primary; `make_primary` moves the mark. The network calls happen before any
    write, so a refusal leaves nothing behind.
    """
    check_provider_takes(provider=provider, currency=currency)
    adapter = get_provider(provider)
    resolved = adapter.resolve_account(account_number=account_number, bank_code=bank_code)
    recipient = adapter.create_transfer_recipient(
        name=resolved.account_name, account_number=account_number, bank_code=bank_code, currency=currency
    )
    try:
        with transaction.atomic():
            has_accounts = BankAccount.objects.select_for_update().filter(user=user).exists()
            primary = make_primary or not has_accounts
            if primary:
                BankAccount.objects.filter(user=user, is_primary=True).update(is_primary=False)
            return BankAccount.objects.create(
                user=user,
                provider=provider,
                currency=currency,
                bank_code=bank_code,
                bank_name=bank_name,
                account_number=account_number,
                account_number_hash=keyed_hash(account_number),
                last4=account_number[-4:],
                account_name=resolved.account_name,
                recipient_code=recipient.recipient_code,
                is_primary=primary,
            )
    except IntegrityError as exc:
        raise ConflictError("This bank account is already linked.") from exc
