"""The request schema is as strict as the server (issue 11): what the schema lets through, the server takes; what it
forbids, the server refuses. The fuzzer checks this at random (`positive_data_acceptance`, `negative_data_rejection`
in tests/reliability/test_api_fuzz.py); these are the rules it found, one by one.

Text fields take strings only, and no longer than their limit; a serializer's cross-field rules (`input_rules`: a
currency's minor unit, a provider's currencies, exactly one of two fields, a country's id types) are in its request
component; the regexes the schema is built from agree with the code they describe."""

import itertools
import re
from decimal import Decimal

import pytest
from jsonschema import Draft4Validator
from rest_framework.exceptions import ValidationError

from accounts.serializers import KycInputSerializer
from accounts.services import check_pin_strength, weak_pins
from contributions.serializers import ContributionPayInputSerializer
from core.fields import amount_pattern
from core.money import AmountError, parse_amount
from groups.serializers import (
    GroupInputSerializer,
    MeetingRecordSerializer,
    MemberChangeSerializer,
    MessageInputSerializer,
)
from payments.serializers import TransferInputSerializer, WithdrawInputSerializer

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def schema(django_db_blocker):
    from drf_spectacular.generators import SchemaGenerator

    with django_db_blocker.unblock():
        return SchemaGenerator().get_schema(request=None, public=True)


def admits(schema: dict, component: str, body: dict) -> bool:
    """Whether the request component takes `body` (its `$ref`s resolved in the schema)."""
    root = {"components": schema["components"], "$ref": f"#/components/schemas/{component}"}
    return Draft4Validator(root).is_valid(body)


# --- text fields: strings only, and no longer than the limit ----------------------------------------------------


@pytest.mark.parametrize(
    ("serializer", "body", "field"),
    [
        (MessageInputSerializer, {"body": 0}, "body"),
        (MeetingRecordSerializer, {"minutes": 0}, "minutes"),
        (ContributionPayInputSerializer, {"source": "wallet", "phone_number": 0}, "phone_number"),
        (TransferInputSerializer, {"amount": "10.00", "currency": "KES", "recipient": 254712345678}, "recipient"),
        (MessageInputSerializer, {"body": 12.5}, "body"),
        (MessageInputSerializer, {"body": ["hello"]}, "body"),
    ],
)
def test_a_text_field_refuses_a_number_or_a_list(serializer, body, field):
    data = serializer(data=body)
    assert not data.is_valid()
    assert data.errors[field] == ["Not a valid string."]


def test_a_text_field_of_a_model_serializer_refuses_a_number(auth_client):
    answer = auth_client.post(
        "/api/v1/devices/", {"fcm_token": "token-1", "platform": "android", "name": 0}, format="json"
    )
    assert answer.status_code == 400, answer.content
    assert answer.json()["error"]["details"] == {"name": ["Not a valid string."]}
    answer = auth_client.post(
        "/api/v1/devices/", {"fcm_token": "token-1", "platform": "android", "name": "0"}, format="json"
    )
    assert answer.status_code == 201, answer.content


def test_a_text_field_counts_its_length_before_trimming_the_spaces_around_it():
    assert MessageInputSerializer(data={"body": "x" * 2000}).is_valid()
    assert MessageInputSerializer(data={"body": "  x  "}).is_valid()  # trimmed, as before
    long = MessageInputSerializer(data={"body": "x" * 2000 + " "})
    assert not long.is_valid()
    assert long.errors["body"] == ["Ensure this field has no more than 2000 characters."]


# --- a group's penalty: a bad amount is a 400, not a 500 ---------------------------------------------------------


@pytest.mark.parametrize("amount", ["", "abc", [], {}])
def test_a_percent_penalty_with_an_amount_that_is_no_number_is_refused_not_a_crash(amount):
    body = {
        "name": "Ajo",
        "kind": "ajo",
        "currency": "NGN",
        "contribution_amount": "1000.00",
        "frequency": "monthly",
        "start_date": "2100-01-01",
        "penalty_kind": "percent",
        "penalty_amount": amount,
    }
    data = GroupInputSerializer(data=body)
    assert not data.is_valid()  # it raised TypeError (a 500): "" > 100
    expected = "Enter the amount as a plain number" if isinstance(amount, str) else "Send amounts as strings"
    assert data.errors["penalty_amount"][0].startswith(expected)


# --- cross-field rules in the request schema ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("component", "body", "valid"),
    [
        ("TransferInputRequest", {"amount": "3", "currency": "UGX", "recipient": "a@b.co"}, True),
        ("TransferInputRequest", {"amount": "0.3", "currency": "UGX", "recipient": "a@b.co"}, False),
        ("TransferInputRequest", {"amount": "0.3", "currency": "KES", "recipient": "a@b.co"}, True),
        ("WithdrawInputRequest", {"amount": "100", "currency": "KES", "phone_number": "+254712345678"}, True),
        ("WithdrawInputRequest", {"amount": "100.50", "currency": "KES", "phone_number": "+254712345678"}, False),
        ("WithdrawInputRequest", {"amount": "100", "currency": "NGN", "phone_number": "+254712345678"}, False),
        ("WithdrawInputRequest", {"amount": "100", "currency": "KES", "phone_number": "+2348031234567"}, False),
        (
            "WithdrawInputRequest",
            {
                "amount": "100",
                "currency": "KES",
                "phone_number": "+254712345678",
                "bank_account": "e3e70682-c209-1cac-a29f-6fbed82c07cd",
            },
            False,
        ),
        ("WithdrawInputRequest", {"amount": "100", "currency": "KES"}, False),
        ("DepositInputRequest", {"amount": "100.00", "currency": "ZWG", "provider": "paystack"}, False),
        ("DepositInputRequest", {"amount": "100.00", "currency": "USD", "provider": "paystack"}, True),
        ("DepositInputRequest", {"amount": "10001", "currency": "USD", "provider": "paystack"}, False),
        ("DepositInputRequest", {"amount": "100", "currency": "KES", "provider": "mpesa"}, False),
        (
            "DepositInputRequest",
            {"amount": "100", "currency": "KES", "provider": "mpesa", "phone_number": "+254712345678"},
            True,
        ),
        (
            "BankAccountInputRequest",
            {"provider": "paystack", "currency": "ZWG", "bank_code": "0", "account_number": "000000"},
            False,
        ),
        (
            "BankAccountInputRequest",
            {"provider": "flutterwave", "currency": "UGX", "bank_code": "0", "account_number": "000000"},
            True,
        ),
        ("ContributionPayInputRequest", {"source": "mpesa"}, False),
        ("ContributionPayInputRequest", {"source": "mpesa", "phone_number": "+254712345678"}, True),
        ("ContributionPayInputRequest", {"source": "wallet"}, True),
        ("KycInputRequest", {"country": "NG", "id_type": "NATIONAL_ID"}, False),
        ("KycInputRequest", {"country": "KE", "id_type": "NIN"}, False),
        ("PatchedMemberChangeRequest", {}, False),
        ("PatchedMemberChangeRequest", {"role": "member"}, True),
        ("PinSetInputRequest", {"pin": "1234", "password": "x"}, False),
        ("PinSetInputRequest", {"pin": "7391"}, False),
        ("PinSetInputRequest", {"pin": "7391", "old_pin": "4829"}, True),
        ("PatchedGroupInputRequest", {"penalty_kind": "percent", "penalty_amount": "100.01"}, False),
        ("PatchedGroupInputRequest", {"penalty_kind": "percent", "penalty_amount": "100"}, True),
        ("PatchedGroupInputRequest", {"penalty_kind": "flat", "penalty_amount": "0"}, False),
        ("PatchedGroupInputRequest", {"penalty_kind": "none", "penalty_amount": "0"}, True),
        ("PatchedGroupInputRequest", {"currency": "RWF", "contribution_amount": "10.50"}, False),
        ("PatchedGroupInputRequest", {"currency": "RWF", "penalty_kind": "percent", "penalty_amount": "2.5"}, True),
    ],
)
def test_the_request_schema_states_the_cross_field_rules(schema, component, body, valid):
    assert admits(schema, component, body) is valid


@pytest.mark.parametrize(
    ("serializer", "body"),
    [
        (TransferInputSerializer, {"amount": "0.3", "currency": "UGX", "recipient": "a@b.co"}),
        (
            WithdrawInputSerializer,
            {
                "amount": "100",
                "currency": "KES",
                "phone_number": "+254712345678",
                "bank_account": "e3e70682-c209-1cac-a29f-6fbed82c07cd",
            },
        ),
        (ContributionPayInputSerializer, {"source": "mpesa"}),
        (
            KycInputSerializer,
            {
                "country": "NG",
                "id_type": "NATIONAL_ID",
                "id_number": "12345678901",
                "first_name": "A",
                "last_name": "B",
                "date_of_birth": "1990-01-01",
            },
        ),
        (MemberChangeSerializer, {}),
    ],
)
def test_what_the_schema_forbids_the_serializer_refuses(serializer, body):
    assert not serializer(data=body).is_valid()


def test_a_body_that_must_say_something_is_required(schema):
    members = schema["paths"]["/api/v1/groups/{group_id}/members/{membership_id}/"]["patch"]
    assert members["requestBody"]["required"] is True
    smile = schema["paths"]["/api/v1/webhooks/smileid/"]["post"]
    assert smile["requestBody"]["required"] is True


def test_the_profile_takes_an_avatar_only_as_a_multipart_image(schema):
    content = schema["paths"]["/api/v1/users/me/"]["patch"]["requestBody"]["content"]
    json_body = schema["components"]["schemas"][content["application/json"]["schema"]["$ref"].split("/")[-1]]
    assert "avatar" not in json_body["properties"] and "email" in json_body["properties"]
    assert content["multipart/form-data"]["encoding"]["avatar"]["contentType"] == "image/jpeg, image/png, image/webp"


# --- the regexes agree with the code ------------------------------------------------------------------------------


def _amounts(top: int):
    """Numbers around the places that matter: zero, the minor units, the maximum and past it; and some that are
    no plain number."""
    wholes = sorted({0, 1, 9, 10, 99, 100, 101, top - 1, top, top + 1, top * 10})
    fractions = ["", ".0", ".00", ".5", ".05", ".50", ".99", ".001", ".000"]
    for whole, fraction in itertools.product(wholes, fractions):
        yield f"{whole}{fraction}"
    yield from ("", "-1", "01", "007.5", "1.", ".5", "1e3", " 1")


@pytest.mark.parametrize(
    ("places", "top", "allow_zero"),
    [(2, 1_000_000_000, False), (2, 150_000, True), (0, 30_000_000, False), (2, 100, False)],
)
def test_amount_patterns_take_what_parse_amount_takes(places, top, allow_zero):
    currency = "KES" if places == 2 else "UGX"
    pattern = re.compile(amount_pattern(places=places, maximum=Decimal(top), allow_zero=allow_zero))
    for text in _amounts(top):
        try:
            taken = parse_amount(text, currency, allow_zero=allow_zero) <= top
        except AmountError:
            taken = False
        # the pattern asks for the usual spelling: no leading zeros, no spaces, no more decimals than the currency's
        usual = re.fullmatch(rf"(0|[1-9][0-9]*)(\.[0-9]{{1,{places}}})?" if places else "0|[1-9][0-9]*", text)
        assert bool(pattern.match(text)) == (taken and bool(usual)), text


def _refused(pin: str) -> bool:
    try:
        check_pin_strength(pin)
    except ValidationError:
        return True
    return False


def test_the_weak_pins_are_the_pins_check_pin_strength_refuses():
    weak = set(weak_pins())
    every_short = ("".join(digits) for length in (4, 5) for digits in itertools.product("0123456789", repeat=length))
    some_long = (f"{number:06d}" for number in range(0, 10**6, 37))
    for pin in itertools.chain(every_short, some_long, weak):
        assert _refused(pin) == (pin in weak), pin


def test_the_pin_schema_refuses_the_weak_pins(schema):
    pin = schema["components"]["schemas"]["PinSetInputRequest"]["properties"]["pin"]
    assert pin["not"] == {"enum": weak_pins()} and pin["pattern"] == "^[0-9]{4,6}$"
