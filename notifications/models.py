"""A notification is what the user reads in the app; a delivery is one attempt-tracked send of it over push, SMS or
email. Preferences and quiet hours say which deliveries are made and when."""

from django.conf import settings
from django.db import models
from django.db.models import Q

from config.encryption import EncryptedTextField
from core.time_zones import validate_time_zone
from notifications.catalog import Category, Channel, NotificationType, Priority


class Notification(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    event = models.CharField(max_length=40)
    category = models.CharField(max_length=10, choices=Category.choices)
    type = models.CharField(max_length=16, choices=NotificationType.choices)
    priority = models.CharField(max_length=6, choices=Priority.choices, default=Priority.NORMAL)
    title = models.CharField(max_length=200)
    body = models.TextField()
    link = models.CharField(max_length=300, blank=True, default="")
    language = models.CharField(max_length=2, default="en")
    context = models.JSONField(default=dict, blank=True, help_text="What the words were rendered from.")
    sealed_context = EncryptedTextField(
        blank=True, default="", help_text="Secrets in the message (a link, a code): encrypted, never shown."
    )
    shown_in_app = models.BooleanField(default=True, help_text="False for messages only sent (a reset link).")
    dedupe_key = models.CharField(
        max_length=120, blank=True, default="", help_text="What caused it; the same cause never notifies twice."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)
    dispatched_at = models.DateTimeField(
        null=True, blank=True, help_text="When its deliveries were made; the sweep dispatches any left behind."
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["user", "-id"], name="notif_user_recent"),
            models.Index(
                fields=["user"], condition=Q(read_at__isnull=True, shown_in_app=True), name="notif_user_unread"
            ),
            models.Index(fields=["created_at"], condition=Q(dispatched_at__isnull=True), name="notif_undispatched"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "event", "dedupe_key"], condition=~Q(dedupe_key=""), name="notif_once_per_cause"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.event} for {self.user_id}"


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    SENDING = "sending", "Sending"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed"
    SKIPPED = "skipped", "Skipped"


class Delivery(models.Model):
    """One channel's send of a notification, or of a message to an address with no account behind it (an email to
    someone who tried to sign up). Retried with backoff until sent or out of attempts."""

    notification = models.ForeignKey(
        Notification, null=True, blank=True, on_delete=models.CASCADE, related_name="deliveries"
    )
    channel = models.CharField(max_length=8, choices=Channel.choices)
    event = models.CharField(max_length=40)
    address = models.CharField(
        max_length=254, blank=True, default="", help_text="Set when there is no user: an email address or phone."
    )
    language = models.CharField(max_length=2, default="en")
    context = models.JSONField(default=dict, blank=True)
    sealed_context = EncryptedTextField(blank=True, default="")
    dedupe_key = models.CharField(
        max_length=120, blank=True, default="", help_text="For an address: the same cause never messages twice."
    )
    status = models.CharField(max_length=8, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    send_after = models.DateTimeField(help_text="Not before this: a retry's backoff, or the end of quiet hours.")
    claimed_at = models.DateTimeField(null=True, blank=True)
    provider = models.CharField(max_length=20, blank=True, default="")
    provider_id = models.CharField(max_length=200, blank=True, default="")
    error = models.TextField(blank=True, default="")
    sent_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "deliveries"
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["send_after"], condition=Q(status__in=["pending", "sending"]), name="delivery_due"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["notification", "channel"],
                condition=Q(notification__isnull=False),
                name="delivery_one_per_channel",
            ),
            models.CheckConstraint(
                condition=Q(notification__isnull=False) | ~Q(address=""), name="delivery_has_recipient"
            ),
            models.UniqueConstraint(
                fields=["event", "address", "dedupe_key"],
                condition=Q(notification__isnull=True) & ~Q(dedupe_key=""),
                name="delivery_to_address_once_per_cause",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.channel} {self.event} ({self.status})"


class ChannelPreference(models.Model):
    """Which channels a user wants for one category; a category without a row uses the defaults
    (`notifications.preferences.DEFAULTS`). In-app is always on, security messages always go."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    category = models.CharField(max_length=10, choices=Category.choices)
    push = models.BooleanField()
    sms = models.BooleanField()
    email = models.BooleanField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "category"], name="channel_pref_once")]

    def __str__(self) -> str:
        return f"{self.user_id} {self.category}"


class QuietHours(models.Model):
    """No push or SMS between `starts` and `ends` in the user's time zone (they wait until `ends`), except
    security messages. `starts` after `ends` spans midnight (22:00 to 06:00)."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    starts = models.TimeField()
    ends = models.TimeField()
    time_zone = models.CharField(max_length=40, default="Africa/Nairobi", validators=[validate_time_zone])

    class Meta:
        verbose_name_plural = "quiet hours"
        constraints = [models.CheckConstraint(condition=~Q(starts=models.F("ends")), name="quiet_hours_not_empty")]

    def __str__(self) -> str:
        return f"{self.user_id} {self.starts:%H:%M}-{self.ends:%H:%M}"
