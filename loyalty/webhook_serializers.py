"""The REST shapes of merchants' webhook endpoints and their delivery log."""

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from loyalty.models import DeliveryAttempt, DeliveryState, EndpointDelivery, WebhookEndpoint, WebhookEventType
from loyalty.services.webhooks import URL_PATTERN

URL_HELP = (
    "Where deliveries are POSTed: http(s), a DNS host name (no address literal, no credentials) that resolves to "
    "public addresses only."
)


class WebhookEndpointSerializer(serializers.ModelSerializer[WebhookEndpoint]):
    previous_secret_until = serializers.DateTimeField(
        allow_null=True, help_text="Until then every delivery is signed with the previous secret as well."
    )

    class Meta:
        model = WebhookEndpoint
        fields = [
            "id",
            "url",
            "description",
            "events",
            "active",
            "disabled_reason",
            "previous_secret_until",
            "created_at",
            "updated_at",
        ]


class NewWebhookSecretSerializer(WebhookEndpointSerializer):
    secret = serializers.CharField(help_text="whsec_…, shown once: keep it now. It signs every delivery.")

    class Meta(WebhookEndpointSerializer.Meta):
        fields = [*WebhookEndpointSerializer.Meta.fields, "secret"]


@extend_schema_field({"type": "string", "pattern": URL_PATTERN, "maxLength": 500})
class EndpointUrlField(serializers.CharField):
    """Its shape is checked by the service (`check_url`), which in sandbox mode also takes a receiver on this
    machine; the schema states the production rule."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(max_length=500, trim_whitespace=False, help_text=URL_HELP, **kwargs)


def _url_field(**kwargs: Any) -> EndpointUrlField:
    return EndpointUrlField(**kwargs)


def _events_field(**kwargs: Any) -> serializers.ListField:
    return serializers.ListField(
        child=serializers.ChoiceField(choices=WebhookEventType.choices),
        min_length=1,
        max_length=len(WebhookEventType.values),
        help_text="The event types this endpoint receives.",
        **kwargs,
    )


class WebhookEndpointInputSerializer(serializers.Serializer[Any]):
    url = _url_field()
    events = _events_field()
    description = serializers.CharField(max_length=120, required=False, allow_blank=True)


class WebhookEndpointChangeSerializer(serializers.Serializer[Any]):
    url = _url_field(required=False)
    events = _events_field(required=False)
    description = serializers.CharField(max_length=120, required=False, allow_blank=True)
    active = serializers.BooleanField(
        required=False, help_text="Switch the endpoint off or back on (a 410 answer switches it off)."
    )


class DeliveryAttemptSerializer(serializers.ModelSerializer[DeliveryAttempt]):
    class Meta:
        model = DeliveryAttempt
        fields = ["number", "status_code", "duration_ms", "error", "trigger", "at"]


class EndpointDeliverySerializer(serializers.ModelSerializer[EndpointDelivery]):
    msg_id = serializers.CharField(source="message.msg_id", help_text="The `webhook-id` header of every attempt.")
    event_type = serializers.CharField(source="message.event_type")
    attempt_log = DeliveryAttemptSerializer(many=True, help_text="Every attempt, oldest first.")

    class Meta:
        model = EndpointDelivery
        fields = [
            "id",
            "msg_id",
            "event_type",
            "state",
            "attempts",
            "next_attempt_at",
            "last_status_code",
            "last_duration_ms",
            "last_error",
            "succeeded_at",
            "created_at",
            "attempt_log",
        ]


class DeliveryQuerySerializer(serializers.Serializer[Any]):
    state = serializers.ChoiceField(choices=DeliveryState.choices, required=False)
