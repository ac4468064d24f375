from typing import Any

from django.contrib.auth.password_validation import MinimumLengthValidator, get_default_password_validators
from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import serializers

from accounts.models import Device, User
from accounts.services import weak_pins
from core.phone_numbers import normalize_phone_number


class NewPasswordField(serializers.CharField):
    """A password being chosen. Django's password validators check it (400 `validation_error`); the request schema
    states the one rule it can, the minimum length (not being common, all digits or like the user's name it
    cannot)."""

    def __init__(self, **kwargs):
        super().__init__(trim_whitespace=False, style={"input_type": "password"}, **kwargs)
        lengths = [v.min_length for v in get_default_password_validators() if isinstance(v, MinimumLengthValidator)]
        self.input_schema = {"minLength": max(lengths, default=1)}


class NewPinField(serializers.CharField):
    """A PIN being chosen: 4 to 6 ASCII digits, none of the `weak_pins` (`check_pin_strength`)."""

    def __init__(self, **kwargs):
        super().__init__(min_length=4, max_length=6, trim_whitespace=False, **kwargs)
        self.input_schema = {"pattern": "^[0-9]{4,6}$", "not": {"enum": weak_pins()}, "example": "7391"}


class UserSerializer(serializers.ModelSerializer):
    class Meta:
        model = User
        fields = [
            "id",
            "email",
            "phone_number",
            "first_name",
            "last_name",
            "is_verified",
            "language",
            "avatar",
            "referral_code",
        ]
        read_only_fields = fields


AVATAR_TYPES = {"image/jpeg", "image/png", "image/webp"}
AVATAR_MAX_BYTES = 2 * 1024 * 1024


class ProfileUpdateInputSerializer(serializers.Serializer):
    first_name = serializers.CharField(max_length=150, required=False)
    last_name = serializers.CharField(max_length=150, required=False)
    phone_number = serializers.CharField(max_length=20, required=False)
    language = serializers.ChoiceField(choices=["en", "sw"], required=False)
    email = serializers.EmailField(
        required=False, max_length=254, help_text="Changing it needs verifying the new address."
    )
    avatar = serializers.FileField(required=False)

    def validate_phone_number(self, value: str) -> str:
        try:
            return normalize_phone_number(value)
        except DjangoValidationError as exc:
            raise serializers.ValidationError(exc.messages) from exc

    def validate_avatar(self, value):
        if value.content_type not in AVATAR_TYPES or value.size > AVATAR_MAX_BYTES:
            raise serializers.ValidationError("A JPEG, PNG or WebP image of at most 2 MB.")
        return value


class ProfileUpdateJsonInputSerializer(ProfileUpdateInputSerializer):
    """For the request schema of a JSON body: an avatar comes only as a multipart upload."""

    avatar = None  # type: ignore[assignment]  # DRF's way to drop an inherited field


class ProfileUpdateFormInputSerializer(ProfileUpdateInputSerializer):
    """For the request schema of a multipart body: a part left empty changes nothing (DRF reads an empty form value
    of an optional field as no value)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            if hasattr(field, "allow_blank"):
                field.allow_blank = True  # "" may be sent
                field.empty_is_absent = True  # but only "", not spaces: those are a value, and a blank one


class LoginInputSerializer(serializers.Serializer):
    email = serializers.EmailField()
    password = serializers.CharField(trim_whitespace=False, style={"input_type": "password"})


class LoginOutputSerializer(serializers.Serializer):
    access = serializers.CharField()
    refresh = serializers.CharField()
    user = UserSerializer()


class RefreshInputSerializer(serializers.Serializer):
    refresh = serializers.CharField()


class PinSetInputSerializer(serializers.Serializer):
    pin = NewPinField()
    password = serializers.CharField(required=False, trim_whitespace=False, style={"input_type": "password"})
    old_pin = serializers.CharField(required=False, max_length=6, trim_whitespace=False)

    def input_rules(self) -> dict[str, Any]:
        """Proven by the password or, to change a PIN, the current one (`set_pin`)."""
        return {"anyOf": [{"required": ["password"]}, {"required": ["old_pin"]}]}


class PinVerifyInputSerializer(serializers.Serializer):
    pin = serializers.CharField(max_length=6, trim_whitespace=False)


class PinTokenOutputSerializer(serializers.Serializer):
    pin_token = serializers.CharField()
    expires_at = serializers.DateTimeField()


class SignupInputSerializer(serializers.Serializer):
    email = serializers.EmailField(max_length=254)
    password = NewPasswordField()
    first_name = serializers.CharField(max_length=150)
    last_name = serializers.CharField(max_length=150)
    phone_number = serializers.CharField(max_length=20, help_text="E.164, e.g. +254712345678.")
    referral_code = serializers.CharField(max_length=12, required=False, allow_blank=True, default="")

    def validate_phone_number(self, value: str) -> str:
        try:
            return normalize_phone_number(value)
        except DjangoValidationError as exc:
            raise serializers.ValidationError(exc.messages) from exc

    def validate_referral_code(self, value: str) -> str:
        value = value.strip().upper()
        if value and not User.objects.filter(referral_code=value).exists():
            raise serializers.ValidationError("No member has this referral code.")
        return value


class AcceptedSerializer(serializers.Serializer):
    detail = serializers.CharField()


class TokenInputSerializer(serializers.Serializer):
    token = serializers.CharField(max_length=500)


class PasswordResetInputSerializer(serializers.Serializer):
    email = serializers.EmailField()


class PasswordResetConfirmInputSerializer(serializers.Serializer):
    uid = serializers.CharField(max_length=100)
    token = serializers.CharField(max_length=100)
    new_password = NewPasswordField()


class PasswordChangeInputSerializer(serializers.Serializer):
    old_password = serializers.CharField(trim_whitespace=False, style={"input_type": "password"})
    new_password = NewPasswordField()


class TokenPairSerializer(serializers.Serializer):
    access = serializers.CharField()
    refresh = serializers.CharField()


class DeviceSerializer(serializers.ModelSerializer):
    class Meta:
        model = Device
        fields = ["id", "fcm_token", "platform", "name", "created_at", "last_seen_at"]
        read_only_fields = ["id", "created_at", "last_seen_at"]
        extra_kwargs: dict[str, dict[str, Any]] = {"fcm_token": {"validators": []}}


class TwoFactorChallengeSerializer(serializers.Serializer):
    two_factor_required = serializers.BooleanField()
    challenge = serializers.CharField(help_text="Send to auth/2fa/verify/ with a code, within five minutes.")


class TwoFactorSetupSerializer(serializers.Serializer):
    otpauth_uri = serializers.CharField()
    qr_code_png = serializers.CharField(help_text="PNG image, base64.")


class TwoFactorCodeSerializer(serializers.Serializer):
    code = serializers.CharField(max_length=16)


class TwoFactorVerifySerializer(serializers.Serializer):
    challenge = serializers.CharField(max_length=500)
    code = serializers.CharField(max_length=16, help_text="From the app, or one of the recovery codes.")


class RecoveryCodesSerializer(serializers.Serializer):
    recovery_codes = serializers.ListField(child=serializers.CharField())


class PasswordConfirmSerializer(serializers.Serializer):
    password = serializers.CharField(trim_whitespace=False, style={"input_type": "password"})


# The identity documents Smile ID checks, per country.
KYC_ID_TYPES = {"NG": ["BVN", "NIN"], "KE": ["NATIONAL_ID"]}


class KycInputSerializer(serializers.Serializer):
    country = serializers.ChoiceField(choices=list(KYC_ID_TYPES))
    id_type = serializers.ChoiceField(
        choices=["NIN", "BVN", "NATIONAL_ID"], help_text="NIN or BVN (NG), NATIONAL_ID (KE)."
    )
    id_number = serializers.RegexField(r"^[0-9]{7,11}$")
    first_name = serializers.CharField(max_length=150)
    last_name = serializers.CharField(max_length=150)
    date_of_birth = serializers.DateField()

    def validate(self, attrs):
        fits = KYC_ID_TYPES[attrs["country"]]
        if attrs["id_type"] not in fits:
            raise serializers.ValidationError({"id_type": [f"Use {' or '.join(sorted(fits))} for {attrs['country']}."]})
        return attrs

    def input_rules(self) -> dict[str, Any]:
        """The id types each country takes (`validate`)."""
        return {
            "anyOf": [
                {"properties": {"country": {"enum": [country]}, "id_type": {"enum": id_types}}}
                for country, id_types in KYC_ID_TYPES.items()
            ]
        }


class KycStatusSerializer(serializers.Serializer):
    tier = serializers.IntegerField()
    status = serializers.CharField(allow_null=True, help_text="The latest submission's status, if any.")
    result_text = serializers.CharField(allow_blank=True)


class SocialSignInInputSerializer(serializers.Serializer):
    id_token = serializers.CharField(max_length=5000)
    nonce = serializers.CharField(max_length=200, required=False, help_text="Apple: the raw nonce you sent.")
    first_name = serializers.CharField(max_length=150, required=False, default="")
    last_name = serializers.CharField(max_length=150, required=False, default="")


class ReactivateInputSerializer(serializers.Serializer):
    code = serializers.RegexField(r"^[0-9]{6}$")
