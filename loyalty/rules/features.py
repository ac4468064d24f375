"""The custom operators' precomputed context: what rules ask for (`FeatureRequest`) and what the caller supplies
(`Features`, placed in `data["features"]`).

Why precomputed: an event's rules run on the hot path, so a rule must never query the database. At save time the
compiler records exactly which windows a rule reads; ingest unions them over the tenant's rules
(`required_features()`), computes them with one indexed query over the customer's recent events, and hands the
values in. The operators only look them up (a missing value raises `MissingFeatureError`, never a silent 0).

The custom operators (their arguments must be literals; `days` is an integer from 1 to 366):

* `{"count_events": [event_type, days]}` -> `features.event_counts[(event_type, days)]`: the customer's events of
  that type with `occurred_at` in (this event's `occurred_at` - `days` days, this event's `occurred_at`], this
  event included when it has that type.
* `{"sum_events": [event_type, field, days]}` -> `features.event_sums[(event_type, field, days)]`: the sum of
  `event.data[field]` over the same window (non-numeric or absent values count as 0).
* `{"day_of_week": []}` -> `features.day_of_week`: ISO weekday of this event in the tenant's time zone, Monday 1 to
  Sunday 7 (`local_clock()`).
* `{"hour_of_day": []}` -> `features.hour_of_day`: 0 to 23 in the tenant's time zone.
* `{"first_event": [event_type]}` -> `features.first_event[event_type]`: true when the customer has no event of
  that type before this one (on an event of that type: it is the customer's first). Without an argument it asks
  about this event's own type: `features.first_event_of_this_type`.

Keys are tuples of the literal arguments, so the representation is not JSON and cannot be reached or forged by a
rule: a rule may not `var` into `features` (refused at save time).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from typing import Final

FEATURES_KEY: Final = "features"
MIN_DAYS: Final = 1
MAX_DAYS: Final = 366


@dataclass(frozen=True, slots=True)
class FeatureRequest:
    """What a set of rules reads, so the caller computes that and nothing else."""

    event_counts: frozenset[tuple[str, int]] = frozenset()  # (event_type, days)
    event_sums: frozenset[tuple[str, str, int]] = frozenset()  # (event_type, field, days)
    first_event_types: frozenset[str] = frozenset()
    first_event_of_this_type: bool = False
    day_of_week: bool = False
    hour_of_day: bool = False

    def __or__(self, other: FeatureRequest) -> FeatureRequest:
        return FeatureRequest(
            event_counts=self.event_counts | other.event_counts,
            event_sums=self.event_sums | other.event_sums,
            first_event_types=self.first_event_types | other.first_event_types,
            first_event_of_this_type=self.first_event_of_this_type or other.first_event_of_this_type,
            day_of_week=self.day_of_week or other.day_of_week,
            hour_of_day=self.hour_of_day or other.hour_of_day,
        )

    @property
    def window_event_types(self) -> frozenset[str]:
        """Event types the count and sum windows cover: the `type IN (...)` of the one query."""
        return frozenset(kind for kind, _ in self.event_counts) | frozenset(kind for kind, _, _ in self.event_sums)

    @property
    def lookback_days(self) -> int:
        """The longest window, 0 when none: the query's `occurred_at > now - lookback` bound."""
        return max([days for _, days in self.event_counts] + [days for _, _, days in self.event_sums], default=0)

    @property
    def is_empty(self) -> bool:
        return self == FeatureRequest()

    def missing_from(self, features: Features) -> list[str]:
        """What `features` lacks of this request, readable: for the caller's tests and a clear failure."""
        absent = [f"count_events{key}" for key in sorted(self.event_counts) if key not in features.event_counts]
        absent += [f"sum_events{key}" for key in sorted(self.event_sums) if key not in features.event_sums]
        absent += [
            f"first_event({kind!r})" for kind in sorted(self.first_event_types) if kind not in features.first_event
        ]
        if self.first_event_of_this_type and features.first_event_of_this_type is None:
            absent.append("first_event()")
        if self.day_of_week and features.day_of_week is None:
            absent.append("day_of_week")
        if self.hour_of_day and features.hour_of_day is None:
            absent.append("hour_of_day")
        return absent


@dataclass(frozen=True, slots=True)
class Features:
    """The values the caller computed for one event, keyed as `FeatureRequest` names them."""

    event_counts: Mapping[tuple[str, int], int] = field(default_factory=dict)
    event_sums: Mapping[tuple[str, str, int], int | float] = field(default_factory=dict)
    first_event: Mapping[str, bool] = field(default_factory=dict)
    first_event_of_this_type: bool | None = None
    day_of_week: int | None = None
    hour_of_day: int | None = None


def local_clock(occurred_at: datetime, zone: tzinfo) -> tuple[int, int]:
    """(ISO weekday 1-7, hour 0-23) of an aware instant in the tenant's zone: `day_of_week` and `hour_of_day`."""
    if occurred_at.tzinfo is None or occurred_at.utcoffset() is None:
        raise ValueError("occurred_at must be timezone-aware: a naive time has no weekday in the tenant's zone")
    local = occurred_at.astimezone(zone)
    return local.isoweekday(), local.hour
