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


class PlanLimitError(PermissionDeniedError):
    code = "plan_limit"
    message = "The group's plan does not include this."
