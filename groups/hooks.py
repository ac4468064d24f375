"""The money side of a group's life, announced here and handled elsewhere.

`groups` is the group and its people and holds no money; it never imports the app that does. Where a change to a
group has a money effect, it announces the change by name and `contributions` handles it (registered in its
`AppConfig.ready`). A handler runs inside the announcing transaction, after the group row is locked (the lock
order of every group change), so one that raises refuses the change and nothing of it is saved.
"""

from collections.abc import Callable
from typing import Any

from core.app_hooks import Registry

GROUP_STARTED = "group_started"
"""`(group, order)`: the rotation is fixed; build the schedule of turns and contributions."""
DUES_PAYMENT = "dues_payment"
"""`(membership)`: take the group's dues from the member's wallet (the PIN is already checked)."""
DUES_RETURNED = "dues_returned"
"""`(membership, reason)`: a member leaves, or the group is cancelled, before it starts: give their dues back."""
ATTENDANCE_RECORDED = "attendance_recorded"
"""`(meeting, membership, status)`: fine an absentee once, waive the fine if the record is corrected."""
GROUP_FIGURES = "group_figures"
"""`(group, headline)` → `{"pot_balance": Decimal, "figures": dict | None}`: what the group's answer shows of its
money (headline figures only when asked)."""

_handlers: Registry[Callable[..., Any]] = Registry("group hook")


def register_group_hook(name: str, handler: Callable[..., Any]) -> None:
    _handlers.register(name, handler)


def announce(name: str, **kwargs: Any) -> Any:
    """Call the handler registered for `name` (None when no app handles it)."""
    handler = _handlers.get(name)
    return None if handler is None else handler(**kwargs)
