"""Every serializer's limits match the column's (issue 11, hole 6).

PostgreSQL refuses a value longer than its `varchar(n)` or wider than its `numeric(p, s)` with a DataError (a 500),
while SQLite stores it silently. So every string a request can carry into a column is refused by its serializer
first (400 validation_error), and every amount is bounded below what the column holds.

Two walks: every ModelSerializer in the project, field by field against its model; and every serializer that is a
request body in the OpenAPI schema, where each writable string field must be named below, either with the column it
is saved to or as never stored (a lookup, a secret that is hashed, a token that is checked)."""

import importlib
import inspect
from decimal import Decimal
from pathlib import Path

import pytest
from django.apps import apps
from django.conf import settings
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from rest_framework import serializers

from accounts.models import Device, KycSubmission, User
from billpay.models import Beneficiary, BillOrder
from contributions.models import Loan, LoanDecision, PayoutDestination, Penalty, RecordedPayment, Resolution
from core.money import MAX_AMOUNT, AmountError, parse_amount
from groups.models import GroupMessage, Meeting, SavingsGroup
from loyalty.models import (
    ApiKey,
    Budget,
    Campaign,
    ConsentRecord,
    Customer,
    Event,
    IssuanceTransition,
    PointsEntry,
    Reward,
    Rule,
    Tenant,
    Tier,
    UssdSession,
    WebhookEndpoint,
)
from notifications.models import QuietHours
from payments.models import BankAccount, Charge, Transfer, Withdrawal

pytestmark = pytest.mark.django_db

E164_MAX = 16  # "+" and at most 15 digits


def _serializer_modules(config) -> list[str]:
    """A project app's `serializers` module and every `*_serializers` module in it (its subpackages too)."""
    root = Path(config.path)
    return sorted(
        ".".join([config.name, *path.relative_to(root).with_suffix("").parts])
        for path in root.rglob("*serializers.py")
        if path.stem == "serializers" or path.stem.endswith("_serializers")
    )


def _project_serializers() -> list[type[serializers.BaseSerializer]]:
    """Every serializer class defined in a project app's serializer modules."""
    found = []
    for config in apps.get_app_configs():
        if not Path(config.path).is_relative_to(Path(settings.BASE_DIR)) or ".venv" in Path(config.path).parts:
            continue
        for name in _serializer_modules(config):
            found += _serializers_in(importlib.import_module(name))
    return found


def _serializers_in(module) -> list[type[serializers.BaseSerializer]]:
    return [
        cls
        for cls in vars(module).values()
        if inspect.isclass(cls)
        and issubclass(cls, serializers.BaseSerializer)
        and cls.__module__ == module.__name__
        and not getattr(cls, "__abstractmethods__", None)
    ]


SERIALIZERS = _project_serializers()
BY_NAME = {cls.__name__: cls for cls in SERIALIZERS}


def _writable_fields(serializer: serializers.BaseSerializer, prefix=""):
    """(dotted name, field) for every writable leaf field, nested serializers and list children included."""
    for name, field in serializer.fields.items():
        if field.read_only:
            continue
        if isinstance(field, serializers.ListSerializer):
            yield from _writable_fields(field.child, f"{prefix}{name}[].")
        elif isinstance(field, serializers.BaseSerializer):
            yield from _writable_fields(field, f"{prefix}{name}.")
        elif isinstance(field, serializers.ListField) and isinstance(field.child, serializers.CharField):
            yield f"{prefix}{name}[]", field.child
        else:
            yield f"{prefix}{name}", field


def _is_string(field) -> bool:
    return isinstance(field, serializers.CharField) and not isinstance(field, serializers.ChoiceField)


def _column_limit_problems(where: str, field, column: models.Field) -> list[str]:
    problems = []
    if isinstance(column, models.CharField | models.TextField) and column.max_length:
        if not _is_string(field):
            return problems  # a choice, a UUID, ...: its values are the column's own
        if field.max_length is None or field.max_length > column.max_length:
            problems.append(
                f"{where}: max_length {field.max_length}, column {column.model.__name__}.{column.name} "
                f"holds {column.max_length}"
            )
    if isinstance(column, models.DecimalField) and isinstance(field, serializers.DecimalField):
        whole = column.max_digits - column.decimal_places
        if (field.max_digits is None or field.max_digits > column.max_digits) and (
            field.max_value is None or field.max_value >= Decimal(10) ** whole
        ):
            problems.append(
                f"{where}: max_digits {field.max_digits}, max_value {field.max_value}; column "
                f"{column.model.__name__}.{column.name} is numeric({column.max_digits}, "
                f"{column.decimal_places})"
            )
        if field.decimal_places is None or field.decimal_places > column.decimal_places:
            problems.append(f"{where}: decimal_places {field.decimal_places}, column holds {column.decimal_places}")
    return problems


def test_the_walk_finds_the_project_serializers():
    for name in ("GroupInputSerializer", "MeetingInputSerializer", "SignupInputSerializer", "TransferInputSerializer"):
        assert name in BY_NAME
    assert any(issubclass(cls, serializers.ModelSerializer) for cls in SERIALIZERS)


def test_every_model_serializer_field_fits_its_column():
    problems = []
    for cls in SERIALIZERS:
        if not issubclass(cls, serializers.ModelSerializer):
            continue
        model = cls.Meta.model
        for name, field in _writable_fields(cls()):
            source = field.source or name
            if "." in source or "[" in name or "." in name:
                continue
            try:
                column = model._meta.get_field(source)
            except FieldDoesNotExist:  # a method or a property: no column
                continue
            if column.concrete:
                problems += _column_limit_problems(f"{cls.__name__}.{name}", field, column)
    assert problems == []


# --- request bodies ------------------------------------------------------------------------------------------

# (serializer, field) → the column it is saved to.
SAVED_TO: dict[tuple[str, str], models.Field] = {
    ("SignupInputSerializer", "email"): User._meta.get_field("email"),
    ("SignupInputSerializer", "first_name"): User._meta.get_field("first_name"),
    ("SignupInputSerializer", "last_name"): User._meta.get_field("last_name"),
    ("ProfileUpdateInputSerializer", "email"): User._meta.get_field("email"),
    ("ProfileUpdateInputSerializer", "first_name"): User._meta.get_field("first_name"),
    ("ProfileUpdateInputSerializer", "last_name"): User._meta.get_field("last_name"),
    ("SocialSignInInputSerializer", "first_name"): User._meta.get_field("first_name"),
    ("SocialSignInInputSerializer", "last_name"): User._meta.get_field("last_name"),
    ("KycInputSerializer", "first_name"): KycSubmission._meta.get_field("first_name"),
    ("KycInputSerializer", "last_name"): KycSubmission._meta.get_field("last_name"),
    ("DeviceSerializer", "fcm_token"): Device._meta.get_field("fcm_token"),
    ("DeviceSerializer", "name"): Device._meta.get_field("name"),
    ("TransferInputSerializer", "note"): Transfer._meta.get_field("note"),
    ("BankAccountInputSerializer", "bank_code"): BankAccount._meta.get_field("bank_code"),
    ("BankAccountInputSerializer", "bank_name"): BankAccount._meta.get_field("bank_name"),
    ("GroupInputSerializer", "name"): SavingsGroup._meta.get_field("name"),
    ("GroupInputSerializer", "description"): SavingsGroup._meta.get_field("description"),
    ("GroupInputSerializer", "time_zone"): SavingsGroup._meta.get_field("time_zone"),
    ("GroupInputSerializer", "rules"): SavingsGroup._meta.get_field("rules"),
    ("GroupInputSerializer", "objectives"): SavingsGroup._meta.get_field("objectives"),
    ("GroupInputSerializer", "meeting_day"): SavingsGroup._meta.get_field("meeting_day"),
    ("GroupInputSerializer", "meeting_place"): SavingsGroup._meta.get_field("meeting_place"),
    ("GroupInputSerializer", "service_fee_percent"): SavingsGroup._meta.get_field("service_fee_percent"),
    ("GroupInputSerializer", "loan_monthly_rate"): SavingsGroup._meta.get_field("loan_monthly_rate"),
    ("GroupInputSerializer", "loan_limit_multiplier"): SavingsGroup._meta.get_field("loan_limit_multiplier"),
    ("MessageInputSerializer", "body"): GroupMessage._meta.get_field("body"),
    ("MeetingInputSerializer", "place"): Meeting._meta.get_field("place"),
    ("MeetingInputSerializer", "link"): Meeting._meta.get_field("link"),
    ("MeetingInputSerializer", "agenda"): Meeting._meta.get_field("agenda"),
    ("MeetingRecordSerializer", "minutes"): Meeting._meta.get_field("minutes"),
    ("FineInputSerializer", "reason"): Penalty._meta.get_field("reason"),
    ("LoanApplicationSerializer", "purpose"): Loan._meta.get_field("purpose"),
    ("DecisionInputSerializer", "reason"): LoanDecision._meta.get_field("reason"),
    ("RecordedPaymentInputSerializer", "receipt_number"): RecordedPayment._meta.get_field("receipt_number"),
    ("RejectInputSerializer", "reason"): RecordedPayment._meta.get_field("rejection_reason"),
    ("OrderInputSerializer", "customer_id"): BillOrder._meta.get_field("customer_id"),
    ("BeneficiaryInputSerializer", "label"): Beneficiary._meta.get_field("label"),
    ("BeneficiaryInputSerializer", "customer_id"): Beneficiary._meta.get_field("number"),
    ("BeneficiaryChangeSerializer", "label"): Beneficiary._meta.get_field("label"),
    ("ApiKeyInputSerializer", "name"): ApiKey._meta.get_field("name"),
    ("TenantInputSerializer", "name"): Tenant._meta.get_field("name"),
    ("TenantInputSerializer", "display_name"): Tenant._meta.get_field("display_name"),
    ("TenantInputSerializer", "time_zone"): Tenant._meta.get_field("time_zone"),
    ("TenantChangeSerializer", "name"): Tenant._meta.get_field("name"),
    ("TenantChangeSerializer", "display_name"): Tenant._meta.get_field("display_name"),
    ("TenantChangeSerializer", "time_zone"): Tenant._meta.get_field("time_zone"),
    ("CustomerInputSerializer", "phone"): Customer._meta.get_field("phone"),
    ("CustomerInputSerializer", "external_ref"): Customer._meta.get_field("external_ref"),
    ("CustomerChangeSerializer", "external_ref"): Customer._meta.get_field("external_ref"),
    ("BudgetInputSerializer", "name"): Budget._meta.get_field("name"),
    ("CampaignInputSerializer", "name"): Campaign._meta.get_field("name"),
    ("CampaignChangeSerializer", "name"): Campaign._meta.get_field("name"),
    ("RewardInputSerializer", "name"): Reward._meta.get_field("name"),
    ("RuleInputSerializer", "name"): Rule._meta.get_field("name"),
    ("RuleChangeSerializer", "name"): Rule._meta.get_field("name"),
    ("EventInputSerializer", "event_type"): Event._meta.get_field("event_type"),
    ("EventInputSerializer", "idempotency_key"): Event._meta.get_field("idempotency_key"),
    ("IssuanceCancelInputSerializer", "reason"): IssuanceTransition._meta.get_field("reason"),
    ("PointsSpendInputSerializer", "reason"): PointsEntry._meta.get_field("reason"),
    ("PreferencesChangeSerializer", "time_zone"): QuietHours._meta.get_field("time_zone"),
    ("QuietHoursSerializer", "time_zone"): QuietHours._meta.get_field("time_zone"),
    ("ResolutionInputSerializer", "reason"): Resolution._meta.get_field("reason"),
    ("ResolutionInputSerializer", "new_rules"): Resolution._meta.get_field("new_rules"),
    ("CustomerInputSerializer", "device_id"): Customer._meta.get_field("device_id"),
    ("TenantChangeSerializer", "referral_event_type"): Tenant._meta.get_field("referral_event_type"),
    ("TierInputSerializer", "name"): Tier._meta.get_field("name"),
    ("TierInputSerializer", "benefits"): Tier._meta.get_field("benefits"),
    ("TierChangeInputSerializer", "name"): Tier._meta.get_field("name"),
    ("TierChangeInputSerializer", "benefits"): Tier._meta.get_field("benefits"),
    ("ConsentInputSerializer", "source"): ConsentRecord._meta.get_field("source"),
    ("WebhookEndpointInputSerializer", "url"): WebhookEndpoint._meta.get_field("url"),
    ("WebhookEndpointInputSerializer", "description"): WebhookEndpoint._meta.get_field("description"),
    ("WebhookEndpointChangeSerializer", "url"): WebhookEndpoint._meta.get_field("url"),
    ("WebhookEndpointChangeSerializer", "description"): WebhookEndpoint._meta.get_field("description"),
    ("UssdStepInputSerializer", "sessionId"): UssdSession._meta.get_field("session_id"),
    ("UssdStepInputSerializer", "serviceCode"): Tenant._meta.get_field("ussd_service_code"),
}

# Phone numbers: the serializer takes spaces and dashes, then saves E.164 (at most 16 characters).
SAVED_AS_E164: dict[tuple[str, str], models.Field] = {
    ("SignupInputSerializer", "phone_number"): User._meta.get_field("phone_number"),
    ("ProfileUpdateInputSerializer", "phone_number"): User._meta.get_field("phone_number"),
    ("DepositInputSerializer", "phone_number"): Charge._meta.get_field("phone_number"),
    ("WithdrawInputSerializer", "phone_number"): Withdrawal._meta.get_field("phone_number"),
    ("ContributionPayInputSerializer", "phone_number"): Charge._meta.get_field("phone_number"),
    ("PayoutDestinationInputSerializer", "phone_number"): PayoutDestination._meta.get_field("phone_number"),
    ("UssdStepInputSerializer", "phoneNumber"): UssdSession._meta.get_field("phone"),
}

# The profile's request schema is given per media type (JSON without the avatar, multipart with parts that may be
# empty) by subclasses of ProfileUpdateInputSerializer, which validates both: their fields are its fields.
for _variant in ("ProfileUpdateJsonInputSerializer", "ProfileUpdateFormInputSerializer"):
    for _limits in (SAVED_TO, SAVED_AS_E164):
        _limits.update(
            {
                (_variant, name): column
                for (cls, name), column in list(_limits.items())
                if cls == "ProfileUpdateInputSerializer"
            }
        )

# Strings saved only inside a longer text that is cut to its column (the ledger memo), or not saved at all.
NOT_SAVED_AS_GIVEN: dict[tuple[str, str], str] = {
    ("CancelInputSerializer", "reason"): "in the refunds' ledger memo, which is cut to its column",
    ("LoginInputSerializer", "email"): "a lookup",
    ("InviteInputSerializer", "email"): "a lookup, or the address of one email (a delivery's address holds 254)",
    ("InviteInputSerializer", "phone_number"): "a lookup, or the address of one SMS, saved as E.164",
    ("PreferencesChangeSerializer", "starts"): "an HH:MM time, saved as a time",
    ("PreferencesChangeSerializer", "ends"): "an HH:MM time, saved as a time",
    ("QuietHoursSerializer", "starts"): "an HH:MM time, saved as a time",
    ("QuietHoursSerializer", "ends"): "an HH:MM time, saved as a time",
    ("LoginInputSerializer", "password"): "checked against the hash",
    ("RefreshInputSerializer", "refresh"): "a token, checked",
    ("TokenInputSerializer", "token"): "a token, checked",
    ("PinSetInputSerializer", "pin"): "hashed",
    ("PinSetInputSerializer", "password"): "checked against the hash",
    ("PinSetInputSerializer", "old_pin"): "checked against the hash",
    ("PinVerifyInputSerializer", "pin"): "checked against the hash",
    ("SignupInputSerializer", "password"): "hashed",
    ("SignupInputSerializer", "referral_code"): "a lookup",
    ("PasswordResetInputSerializer", "email"): "a lookup",
    ("PasswordResetConfirmInputSerializer", "uid"): "a lookup",
    ("PasswordResetConfirmInputSerializer", "token"): "a token, checked",
    ("PasswordResetConfirmInputSerializer", "new_password"): "hashed",
    ("PasswordChangeInputSerializer", "old_password"): "checked against the hash",
    ("PasswordChangeInputSerializer", "new_password"): "hashed",
    ("PasswordConfirmSerializer", "password"): "checked against the hash",
    ("TwoFactorCodeSerializer", "code"): "checked",
    ("TwoFactorVerifySerializer", "challenge"): "a token, checked",
    ("TwoFactorVerifySerializer", "code"): "checked",
    ("ReactivateInputSerializer", "code"): "checked against the hash",
    ("KycInputSerializer", "id_number"): "encrypted into a text column, six to eleven digits",
    ("SocialSignInInputSerializer", "id_token"): "a token, checked",
    ("SocialSignInInputSerializer", "nonce"): "checked",
    ("TransferInputSerializer", "recipient"): "a lookup",
    ("BankAccountInputSerializer", "account_number"): "encrypted into a text column, six to twenty digits",
    ("CardInputSerializer", "reference"): "a lookup",
    ("JoinInputSerializer", "invite_code"): "a lookup",
    ("OrderInputSerializer", "service"): "a lookup",
    ("OrderInputSerializer", "variation"): "a lookup",
    ("BuyAgainInputSerializer", "variation"): "a lookup",
    ("BeneficiaryInputSerializer", "service"): "a lookup",
    ("VerifyInputSerializer", "service"): "a lookup",
    ("VerifyInputSerializer", "customer_id"): "sent to the biller, six to twenty digits",
    ("StaffInputSerializer", "email"): "a lookup",
    ("CustomerQuerySerializer", "search"): "a lookup",
    ("RewardInputSerializer", "terms"): "a text column",
    ("EventInputSerializer", "customer"): "a lookup (an id or a phone)",
    ("RedeemInputSerializer", "code"): "checked against the issuance's code",
    ("CustomerInputSerializer", "referral_code"): "a lookup (another customer's code)",
    ("ConsentInputSerializer", "channel"): "one of three channel names, saved as that name",
    ("UssdStepInputSerializer", "networkCode"): "not saved",
    ("UssdStepInputSerializer", "text"): "the keypad inputs, read and not saved",
}


@pytest.fixture(scope="module")
def request_serializers(django_db_blocker) -> list[type[serializers.BaseSerializer]]:
    """The serializers that are request bodies in the OpenAPI schema (components `…Request`)."""
    from drf_spectacular.generators import SchemaGenerator

    with django_db_blocker.unblock():
        schema = SchemaGenerator().get_schema(request=None, public=True)
    components = schema["components"]["schemas"]
    names: set[str] = set()

    def walk(node):
        if isinstance(node, dict):
            ref = node.get("$ref")
            if ref and ref.split("/")[-1] not in names:
                names.add(ref.split("/")[-1])
                walk(components[ref.split("/")[-1]])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    for operations in schema["paths"].values():
        for operation in operations.values():
            walk(operation.get("requestBody"))
    found = []
    for name in sorted(names):
        if components[name].get("enum"):
            continue
        base = name.removeprefix("Patched").removesuffix("Request")
        cls = BY_NAME.get(f"{base}Serializer") or BY_NAME.get(base)
        assert cls is not None, f"request component {name}: no serializer of that name in the project"
        found.append(cls)
    return found


def test_the_schema_walk_finds_the_request_bodies(request_serializers):
    names = {cls.__name__ for cls in request_serializers}
    assert {"GroupInputSerializer", "MeetingInputSerializer", "SignupInputSerializer", "DeviceSerializer"} <= names


def test_every_string_a_request_saves_fits_its_column(request_serializers):
    problems, unknown = [], []
    for cls in request_serializers:
        for name, field in _writable_fields(cls()):
            key = (cls.__name__, name.split(".")[-1].removesuffix("[]"))
            if key in SAVED_TO:
                problems += _column_limit_problems(f"{cls.__name__}.{name}", field, SAVED_TO[key])
            elif key in SAVED_AS_E164:
                column = SAVED_AS_E164[key]
                if column.max_length < E164_MAX or field.max_length is None or field.max_length > 32:
                    problems.append(f"{cls.__name__}.{name}: a phone number, column holds {column.max_length}")
            elif key in NOT_SAVED_AS_GIVEN:
                continue
            elif _is_string(field):
                unknown.append(f"{cls.__name__}.{name}")
    assert unknown == [], "say which column these strings are saved to (SAVED_TO), or that they are not (above)"
    assert problems == []


def test_every_amount_fits_a_money_column():
    """Amounts arrive as strings and are parsed by `parse_amount`, which refuses anything over MAX_AMOUNT; the
    columns are numeric(20, 2), so MAX_AMOUNT must fit with room to add fees and interest."""
    money_columns = [
        field
        for model in apps.get_models()
        if Path(apps.get_app_config(model._meta.app_label).path).is_relative_to(Path(settings.BASE_DIR))
        for field in model._meta.concrete_fields
        if isinstance(field, models.DecimalField) and field.decimal_places == 2 and field.max_digits >= 20
    ]
    assert money_columns
    for column in money_columns:
        assert Decimal(10) ** (column.max_digits - column.decimal_places) > MAX_AMOUNT * 1000, column
    for too_big in ("1" + "0" * 19, "99999999999999999999.99", str(MAX_AMOUNT + 1)):
        with pytest.raises(AmountError):
            parse_amount(too_big, "KES")


LONG_EMAIL = "a" * 60 + "@" + ".".join(["b" * 60] * 4) + ".com"  # 309 characters, and a valid address's shape


@pytest.mark.parametrize("where", ["signup", "profile"])
def test_an_email_longer_than_its_column_is_refused(api_client, auth_client, user, where):
    """PostgreSQL: a DataError (500) before; SQLite stored it."""
    assert len(LONG_EMAIL) > User._meta.get_field("email").max_length
    if where == "signup":
        body = {
            "email": LONG_EMAIL,
            "password": "a sensible passphrase 42",
            "first_name": "Amina",
            "last_name": "Otieno",
            "phone_number": "+254712345678",
        }
        answer = api_client.post("/api/v1/auth/signup/", body, format="json")
    else:
        answer = auth_client.patch("/api/v1/users/me/", {"email": LONG_EMAIL}, format="json")
    assert answer.status_code == 400, answer.content[:300]
    error = answer.json()["error"]
    assert error["code"] == "validation_error" and "email" in error["details"]
    assert not User.objects.filter(email=LONG_EMAIL).exists()
    user.refresh_from_db()
    assert user.email != LONG_EMAIL
