"""Which channels carry an event to a user, and when: the user's choices per category over the defaults below,
and quiet hours. Security messages ignore both."""

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from notifications.catalog import Category, Channel, Event
from notifications.models import ChannelPreference, QuietHours

SENT_CHANNELS = (Channel.PUSH, Channel.SMS, Channel.EMAIL)
QUIETED_CHANNELS = frozenset({Channel.PUSH, Channel.SMS})  # email and the in-app list never wake anyone

# SMS is where money news reaches people without data; it costs us per message, so it is on for money and off for
# the chatter of groups and merchants.
DEFAULTS: dict[str, dict[str, bool]] = {
    Category.SAVINGS: {"push": True, "sms": True, "email": True},
    Category.GROUPS: {"push": True, "sms": False, "email": True},
    Category.LOANS: {"push": True, "sms": True, "email": True},
    Category.WALLET: {"push": True, "sms": True, "email": True},
    Category.BILLS: {"push": True, "sms": True, "email": True},
    Category.LOYALTY: {"push": True, "sms": True, "email": False},
    Category.ACCOUNT: {"push": True, "sms": False, "email": True},
    Category.SECURITY: {"push": True, "sms": True, "email": True},
}


@dataclass(frozen=True)
class Quiet:
    starts: time
    ends: time
    time_zone: str

    def covers(self, moment: datetime) -> bool:
        local = moment.astimezone(ZoneInfo(self.time_zone)).time()
        if self.starts < self.ends:
            return self.starts <= local < self.ends
        return local >= self.starts or local < self.ends

    def end_after(self, moment: datetime) -> datetime:
        """When the quiet period that covers `moment` ends."""
        zone = ZoneInfo(self.time_zone)
        local = moment.astimezone(zone)
        end = datetime.combine(local.date(), self.ends, tzinfo=zone)
        return end if end > local else end + timedelta(days=1)


# --- reads ---------------------------------------------------------------------------------------------------------


def channel_choices(*, user_id: Any) -> dict[str, dict[str, bool]]:
    """Every category's channels for the user: their own rows over the defaults."""
    choices = {category: dict(channels) for category, channels in DEFAULTS.items()}
    for row in ChannelPreference.objects.filter(user_id=user_id):
        choices[row.category] = {"push": row.push, "sms": row.sms, "email": row.email}
    choices[Category.SECURITY] = dict(DEFAULTS[Category.SECURITY])
    return choices


def quiet_hours(*, user_id: Any) -> Quiet | None:
    row = QuietHours.objects.filter(user_id=user_id).first()
    return Quiet(row.starts, row.ends, row.time_zone) if row else None


def channels_for(*, user_id: Any, event: Event) -> list[Channel]:
    """The channels (besides the in-app list) a notification of `event` goes out on."""
    allowed = [channel for channel in SENT_CHANNELS if channel in event.channels]
    if event.always_sent or not allowed:
        return allowed
    row = ChannelPreference.objects.filter(user_id=user_id, category=event.category).first()
    chosen = {"push": row.push, "sms": row.sms, "email": row.email} if row else DEFAULTS[event.category]
    return [channel for channel in allowed if chosen[channel.value]]


def send_after(*, event: Event, channel: Channel, quiet: Quiet | None, now: datetime) -> datetime:
    if quiet is None or event.always_sent or channel not in QUIETED_CHANNELS or not quiet.covers(now):
        return now
    return quiet.end_after(now)
