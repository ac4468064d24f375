"""Reads of saved cards other than the list (`payments.selectors.cards_of`)."""

import uuid

from payments.models import Card


def card_of(*, user_id: uuid.UUID, pk: uuid.UUID) -> Card | None:
    """The user's own saved card, or None (another user's card is never found)."""
    return Card.objects.filter(user_id=user_id, pk=pk).first()
