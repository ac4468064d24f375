"""Every write in `payments`. Other apps move money only through these functions."""

from payments.services.accounts import get_house_account, get_owned_account, get_wallet
from payments.services.ledger import Leg, post_transaction, reverse_transaction
from payments.services.transfers import post_transfer

__all__ = [
    "Leg",
    "get_house_account",
    "get_owned_account",
    "get_wallet",
    "post_transaction",
    "post_transfer",
    "reverse_transaction",
]
