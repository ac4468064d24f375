from rest_framework import status

from core.errors import ApplicationError, ConflictError, NotFoundError


class ContributionNotFoundError(NotFoundError):
    code = "contribution_not_found"
    message = "No such contribution."


class ContributionAlreadyPaidError(ConflictError):
    code = "contribution_already_paid"
    message = "This contribution is already paid."


class ContributionNotPayableError(ConflictError):
    code = "contribution_not_payable"
    message = "This contribution cannot be paid now."


class PenaltyNotFoundError(NotFoundError):
    code = "penalty_not_found"
    message = "No such penalty or fine of yours."


class PenaltyNotOwedError(ConflictError):
    code = "penalty_not_owed"
    message = "This penalty is already paid or was waived."


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


class ResolutionStateError(ConflictError):
    code = "resolution_state"
    message = "The resolution cannot do this in its current state."


class ResolutionNotFoundError(NotFoundError):
    code = "resolution_not_found"
    message = "No such resolution in this group."


class WelfareAlreadyPaidError(ConflictError):
    code = "welfare_already_paid"
    message = "Your welfare dues for this cycle are paid already."


class PlanNotSoldError(ConflictError):
    code = "plan_not_sold"
    message = "That plan is not sold in the group's currency."


class ShareOutNotFoundError(NotFoundError):
    code = "share_out_not_found"
    message = "No such share-out in this group."


class ShareOutBlockedError(ConflictError):
    code = "share_out_blocked"
    message = "The pot cannot be shared out yet."


class PaybillStateError(ConflictError):
    code = "paybill_state"
    message = "This paybill payment cannot do that in its current state."


class PaybillPaymentNotFoundError(NotFoundError):
    code = "paybill_payment_not_found"
    message = "No such paybill payment for this group."
