from core.errors import ConflictError, NotFoundError


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
