"""Every write in `payments`. Other apps move money only through these functions."""

from payments.services.accounts import get_house_account, get_house_accounts, get_owned_account, get_wallet
from payments.services.bank_accounts import link_bank_account
from payments.services.cards import charge_saved_card, save_card
from payments.services.deposits import check_provider_takes, start_deposit
from payments.services.ledger import Leg, lock_accounts, post_transaction, reverse_transaction
from payments.services.transfers import post_transfer
from payments.services.withdrawals import start_withdrawal, withdrawal_fee

__all__ = [
    "Leg",
    "charge_saved_card",
    "check_provider_takes",
    "get_house_account",
    "get_house_accounts",
    "get_owned_account",
    "get_wallet",
    "link_bank_account",
    "lock_accounts",
    "post_transaction",
    "post_transfer",
    "reverse_transaction",
    "save_card",
    "start_deposit",
    "start_withdrawal",
    "withdrawal_fee",
]
