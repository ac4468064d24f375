from typing import TYPE_CHECKING

from rest_framework import status

from core.errors import ApplicationError, ConflictError, InsufficientFundsError, NotFoundError, WebhookRejectedError

if TYPE_CHECKING:
    from payments.models import VelocityRefusal

__all__ = [
    "AlreadyReversedError",
    "CardNotReusableError",
    "CurrencyMismatchError",
    "IdempotencyKeyInUseError",
    "IdempotencyKeyRequiredError",
    "IdempotencyKeyReusedError",
    "InsufficientFundsError",
    "ProviderNotSupportedError",
    "RecipientNotFoundError",
    "SelfTransferError",
    "UnbalancedTransactionError",
    "VelocityLimitedError",
    "WebhookRejectedError",
]


class UnbalancedTransactionError(ApplicationError):
    """A posting whose entries do not sum to zero per currency: a programming error, refused before any write."""

    code = "ledger_unbalanced"
    message = "The posting does not balance."
    status_code = status.HTTP_500_INTERNAL_SERVER_ERROR


class AlreadyReversedError(ConflictError):
    code = "already_reversed"
    message = "This transaction has already been reversed."


class CurrencyMismatchError(ApplicationError):
    code = "currency_mismatch"
    message = "Both sides of a transfer must use the same currency."


class RecipientNotFoundError(NotFoundError):
    code = "recipient_not_found"
    message = "No Pamoja user matches that email, phone number or id."


class SelfTransferError(ApplicationError):
    code = "self_transfer"
    message = "You cannot send money to yourself."


class IdempotencyKeyRequiredError(ApplicationError):
    code = "idempotency_key_required"
    message = "This request moves money: send an Idempotency-Key header (a UUID you generate, at most 255 characters)."


class IdempotencyKeyReusedError(ApplicationError):
    code = "idempotency_key_reused"
    message = "This Idempotency-Key was already used with a different request."
    status_code = status.HTTP_422_UNPROCESSABLE_ENTITY


class IdempotencyKeyInUseError(ConflictError):
    code = "idempotency_key_in_use"
    message = "A request with this Idempotency-Key is still being processed; retry shortly."


class ProviderNotSupportedError(ApplicationError):
    code = "provider_not_supported"
    message = "This provider does not take this currency or method."


class CardNotReusableError(ApplicationError):
    code = "card_not_reusable"
    message = "The provider gave no reusable authorization for this card."
    status_code = status.HTTP_422_UNPROCESSABLE_ENTITY


class VelocityLimitedError(ApplicationError):
    """Too many transfers or withdrawals (or too much money) in an hour or a day, for the user or one of their
    devices. `details.retry_after` is when the oldest counted item leaves the window (null when the amount alone is
    over the window's limit); `refusal` is the unsaved record staff see (payments.services.velocity)."""

    code = "velocity_limited"
    message = "Too many payments in a short time; try again later."
    status_code = status.HTTP_429_TOO_MANY_REQUESTS
    refusal: "VelocityRefusal | None" = None
