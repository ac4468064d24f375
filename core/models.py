"""The records of the inbound-webhook pipeline (`core.webhooks`), whichever app owns the provider.

Both were payments' first and keep its tables: the rows written before the move are the same rows."""

from django.db import models


class WebhookDelivery(models.Model):
    """Every webhook as it arrived, forged or not, for audit and replay."""

    provider = models.CharField(max_length=16)
    headers = models.JSONField(default=dict)
    body = models.TextField()
    signature_valid = models.BooleanField(default=False)
    outcome = models.CharField(max_length=64, blank=True, default="")
    received_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        db_table = "payments_webhookdelivery"
        verbose_name_plural = "webhook deliveries"

    def __str__(self) -> str:
        return f"{self.provider} webhook #{self.pk} ({self.outcome})"


class ProcessedEvent(models.Model):
    """One row per provider event acted on, written with the effect: the same event never acts twice."""

    provider = models.CharField(max_length=16)
    event_id = models.CharField(max_length=200)
    outcome = models.CharField(max_length=64)
    processed_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "payments_processedevent"
        constraints = [models.UniqueConstraint(fields=["provider", "event_id"], name="payments_event_once")]

    def __str__(self) -> str:
        return f"{self.provider}:{self.event_id}"
