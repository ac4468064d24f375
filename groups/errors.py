from rest_framework import status

from core.errors import ApplicationError, ConflictError, NotFoundError, PermissionDeniedError


class GroupNotFoundError(NotFoundError):
    """Also what a non-member sees for a group that exists, so that existence does not leak."""

    code = "group_not_found"
    message = "No such group."


class InviteCodeInvalidError(NotFoundError):
    code = "invite_code_invalid"
    message = "That invite code does not match any group that is open to join."


class NotAnOfficialError(PermissionDeniedError):
    code = "officials_only"
    message = "Only the group's officials can do this."


class NotTheChairError(PermissionDeniedError):
    code = "chair_only"
    message = "Only the group's chair can do this."


class GroupStateError(ConflictError):
    """The group is not in the state this needs (for example, already started)."""

    code = "group_state"
    message = "The group cannot do this in its current state."


class GroupSettingsLockedError(ConflictError):
    code = "group_settings_locked"
    message = "Settings that shape money cannot change once the group has started."


class GroupFullError(ConflictError):
    code = "group_full"
    message = "The group has reached its member limit."


class AlreadyMemberError(ConflictError):
    code = "already_member"
    message = "You are already a member of this group."


class GroupNotReadyError(ApplicationError):
    code = "group_not_ready"
    message = "The group cannot start yet."
    status_code = status.HTTP_409_CONFLICT


class ChairMustHandOverError(ConflictError):
    code = "chair_must_hand_over"
    message = "Hand the chair to another member before you leave."


class SwapNotAllowedError(ConflictError):
    code = "swap_not_allowed"
    message = "These payout turns cannot be swapped."


class LoanRefusedError(ConflictError):
    code = "loan_refused"
    message = "This loan cannot be granted."


class LoanStateError(ConflictError):
    code = "loan_state"
    message = "The loan cannot do this in its current state."


class RepaymentTooLargeError(ConflictError):
    code = "repayment_too_large"
    message = "That is more than the loan's payoff amount."


class ReceiptAlreadyRecordedError(ConflictError):
    code = "receipt_already_recorded"
    message = "A payment with this receipt number is already recorded for this group."


class RecordedPaymentStateError(ConflictError):
    code = "recorded_payment_state"
    message = "This recorded payment cannot change now."


class RecordedAmountTooLargeError(ApplicationError):
    """More than the member owes (or, for a cash payout, than the cash book holds): recorded money is never a
    way to put spare cash on the books."""

    code = "recorded_amount_too_large"
    message = "The amount is more than this payment can settle."
    status_code = status.HTTP_422_UNPROCESSABLE_ENTITY
