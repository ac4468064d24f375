"""Bill payments' domain errors: subclasses of `core.errors`, so they leave the API in the one error shape."""

from rest_framework import status

from core.errors import ApplicationError, ConflictError, NotFoundError, ProviderUnavailableError


class BillProviderError(ProviderUnavailableError):
    """The bill provider could not be reached, timed out, or answered with something we cannot use (retry later)."""

    message = "The bill provider is unavailable; try again shortly."


class BillProviderRejectedError(ApplicationError):
    """The bill provider understood the request and refused it (bad credentials, unknown product, ...)."""

    code = "bill_provider_rejected"
    message = "The bill provider refused the request."
    status_code = status.HTTP_422_UNPROCESSABLE_ENTITY


class BillCustomerInvalidError(ApplicationError):
    """A meter or smartcard number the biller does not know (`POST bills/verify/` → 422)."""

    code = "bill_customer_invalid"
    message = "The biller does not recognise this customer number."
    status_code = status.HTTP_422_UNPROCESSABLE_ENTITY


class BillServiceNotFoundError(NotFoundError):
    message = "No such bill service."


class BillServiceNotVerifiableError(ApplicationError):
    """Airtime and data go to a phone number: there is no account to verify."""

    code = "validation_error"
    message = "This service has no customer account to verify."
    status_code = status.HTTP_400_BAD_REQUEST


class BillOrderNotFoundError(NotFoundError):
    message = "No such bill order."


class BeneficiaryNotFoundError(NotFoundError):
    message = "No such beneficiary."


class BeneficiaryExistsError(ConflictError):
    message = "You have saved this number for this service already."


class BillOrderStateError(ConflictError):
    """What the order's status does not allow: a refund of an order whose money already went back, a token resent
    for an order that has none."""

    code = "bill_order_state"
    message = "The order's status does not allow this."


class TokenNotAvailableError(BillOrderStateError):
    """Only a delivered order with a token (electricity, exam PINs) has one to send again."""

    message = "This order has no token to send."


class SandboxTransactionNotFoundError(NotFoundError):
    message = "The sandbox has no transaction with this request_id."


class SandboxTransactionStateError(ConflictError):
    message = "The sandbox transaction has already ended another way."


class SandboxOutcomeInvalidError(ApplicationError):
    code = "validation_error"
    message = "The outcome must be delivered, failed or reversed."
    status_code = status.HTTP_400_BAD_REQUEST


class BillInputError(ApplicationError):
    """A field the caller sent is not usable (`details` names it)."""

    code = "validation_error"
    message = "Invalid input."
    status_code = status.HTTP_400_BAD_REQUEST
