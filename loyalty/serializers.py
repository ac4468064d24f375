from typing import Any

from rest_framework import serializers

from core.fields import TimeZoneField, mobile_number_pattern
from core.money import CURRENCY_CHOICES
from loyalty.models import ApiKey, Channel, Customer, CustomerStatus, StaffRole, Tenant, TenantStaff

PHONE_REGIONS = ("KE", "NG", "GH", "UG", "TZ", "RW", "ZA", "ZW")


class PhoneField(serializers.CharField):
    """A customer's mobile number in E.164."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(max_length=16, **kwargs)
        self.input_schema = {"pattern": mobile_number_pattern(*PHONE_REGIONS), "example": "+263771234567"}


class TenantSerializer(serializers.ModelSerializer[Tenant]):
    role = serializers.SerializerMethodField(help_text="Your role in this tenant.")

    class Meta:
        model = Tenant
        fields = ["id", "name", "display_name", "currency", "time_zone", "auto_enrol", "points_validity_days"]
        fields += ["role", "created_at"]

    def get_role(self, tenant: Tenant) -> str | None:
        return self.context.get("roles", {}).get(tenant.pk)


class TenantInputSerializer(serializers.Serializer[Any]):
    name = serializers.CharField(max_length=120)
    display_name = serializers.CharField(max_length=120, required=False)
    currency = serializers.ChoiceField(choices=CURRENCY_CHOICES)
    time_zone = TimeZoneField()
    auto_enrol = serializers.BooleanField(required=False, help_text="Enrol an unknown phone on its first event.")
    points_validity_days = serializers.IntegerField(required=False, min_value=1, max_value=3650)


class TenantChangeSerializer(serializers.Serializer[Any]):
    name = serializers.CharField(max_length=120, required=False)
    display_name = serializers.CharField(max_length=120, required=False)
    time_zone = TimeZoneField(required=False)
    auto_enrol = serializers.BooleanField(required=False)
    points_validity_days = serializers.IntegerField(required=False, min_value=1, max_value=3650)


class StaffSerializer(serializers.ModelSerializer[TenantStaff]):
    email = serializers.EmailField(source="user.email")

    class Meta:
        model = TenantStaff
        fields = ["id", "email", "role", "created_at"]


class StaffInputSerializer(serializers.Serializer[Any]):
    email = serializers.EmailField(max_length=254)
    role = serializers.ChoiceField(choices=StaffRole.choices)


class StaffChangeSerializer(serializers.Serializer[Any]):
    role = serializers.ChoiceField(choices=StaffRole.choices, required=False)


class ApiKeySerializer(serializers.ModelSerializer[ApiKey]):
    active = serializers.SerializerMethodField()

    class Meta:
        model = ApiKey
        fields = ["id", "key_id", "name", "active", "created_at", "revoked_at", "last_used_at"]

    def get_active(self, key: ApiKey) -> bool:
        return key.revoked_at is None


class NewApiKeySerializer(ApiKeySerializer):
    secret = serializers.CharField(help_text="Shown once: keep it now. It signs your requests (HMAC-SHA256).")

    class Meta(ApiKeySerializer.Meta):
        fields = [*ApiKeySerializer.Meta.fields, "secret"]


class ApiKeyInputSerializer(serializers.Serializer[Any]):
    name = serializers.CharField(max_length=80, required=False, help_text="Which till or system uses it.")


class CustomerSerializer(serializers.ModelSerializer[Customer]):
    class Meta:
        model = Customer
        fields = ["id", "phone", "external_ref", "status", "channel", "points", "attributes", "created_at"]


class CustomerInputSerializer(serializers.Serializer[Any]):
    phone = PhoneField()
    external_ref = serializers.CharField(max_length=80, required=False, help_text="Your own id for the customer.")
    attributes = serializers.DictField(required=False, help_text="What rules may read as `customer.attributes`.")


class CustomerChangeSerializer(serializers.Serializer[Any]):
    status = serializers.ChoiceField(choices=CustomerStatus.choices, required=False)
    external_ref = serializers.CharField(max_length=80, required=False, allow_blank=True)
    attributes = serializers.DictField(required=False)


class CustomerQuerySerializer(serializers.Serializer[Any]):
    status = serializers.ChoiceField(choices=CustomerStatus.choices, required=False)
    channel = serializers.ChoiceField(choices=Channel.choices, required=False)
    search = serializers.CharField(max_length=80, required=False, help_text="Part of a phone or external reference.")
