"""The one way to ask what day it is somewhere: groups, tenants and users each carry their own time zone."""

from datetime import date, tzinfo

from django.utils import timezone


def local_today(tz: tzinfo) -> date:
    """Today's date in `tz` (the wall calendar there, not UTC's)."""
    return timezone.now().astimezone(tz).date()
