"""IANA time zones, as groups and loyalty tenants name theirs (`Africa/Nairobi`, `Africa/Harare`)."""

import zoneinfo

from django.core.exceptions import ValidationError


def validate_time_zone(value: str) -> None:
    """An IANA zone name; not choices, so a tzdata update needs no migration."""
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError) as exc:
        raise ValidationError(f"{value!r} is not a known time zone, e.g. Africa/Nairobi.") from exc


def known_time_zones(*, max_length: int) -> list[str]:
    return sorted(zone for zone in zoneinfo.available_timezones() if len(zone) <= max_length)
