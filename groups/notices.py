"""How a group's notifications name the group and its people: the text values the catalog's contexts take
(`notifications/catalog.py`), worded alike wherever groups and contributions tell a member something."""

from accounts.models import User
from groups.models import SavingsGroup


def group_context(group: SavingsGroup) -> dict[str, str]:
    """The group's name to show, and its id for the event's link."""
    return {"group": group.name, "group_id": str(group.pk)}


def name_of(user: User) -> str:
    """A person as other members see them; the email when they gave no name."""
    return user.get_full_name() or user.email


def as_sentence(text: str) -> str:
    """A reason, whether a person typed it or code wrote it ("not started within 30 days"), as the templates place
    it: a sentence of its own, capitalised and closed with a full stop."""
    text = text.strip()
    if not text:
        return ""
    text = text[0].upper() + text[1:]
    return text if text[-1] in ".!?" else f"{text}."
