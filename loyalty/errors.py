"""Loyalty's domain errors: subclasses of `core.errors`, so they leave the API in the one error shape. Another
tenant's object is always "not found", never "forbidden"."""

from rest_framework import status

from core.errors import ApplicationError, ConflictError, NotFoundError, PermissionDeniedError


class TenantNotFoundError(NotFoundError):
    message = "No such tenant."


class LoyaltyObjectNotFoundError(NotFoundError):
    message = "Not found."


class RoleRequiredError(PermissionDeniedError):
    """Signed in and staff of this tenant, but the role does not allow it (a viewer writing, a manager managing
    staff or API keys)."""

    message = "Your role in this tenant does not allow this."


class ApiKeyLimitError(ConflictError):
    message = "A tenant has at most two active API keys: revoke one before creating another."


class CustomerExistsError(ConflictError):
    message = "A customer with this phone or external reference exists in this tenant."


class LoyaltyStateError(ConflictError):
    """What the object's kind or state does not allow: codes for a reward that is not a voucher, resuming an ended
    campaign. Well-formed, and refused because of what the object is."""


class LoyaltyInputError(ApplicationError):
    """A field the caller sent is not usable (`details` names it)."""

    code = "validation_error"
    message = "Invalid input."
    status_code = status.HTTP_400_BAD_REQUEST


class BudgetExhaustedError(ConflictError):
    """The budget's cap for this period, or the money still available in it, does not cover the reward's cost."""

    code = "budget_exhausted"
    message = "The budget cannot cover this reward."


class RewardUnavailableError(ConflictError):
    """No voucher code left in the pool, no item left in stock, or the reward is switched off."""

    code = "reward_unavailable"
    message = "This reward is not available."


class IssuanceStateError(ConflictError):
    """A transition the issuance's state does not allow (a second redemption, redeeming what expired)."""

    code = "issuance_state"
    message = "The issuance's state does not allow this."


class InsufficientPointsError(ConflictError):
    code = "insufficient_points"
    message = "The customer does not have enough points."


class ReferralCodeUnknownError(ApplicationError):
    """Well-formed, but no customer of this tenant has the code (a business fact, as a biller not knowing a meter
    number is)."""

    code = "referral_code_unknown"
    message = "No customer of this programme has this referral code."
    status_code = status.HTTP_422_UNPROCESSABLE_ENTITY
