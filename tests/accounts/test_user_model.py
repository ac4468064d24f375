import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError

from accounts.models import User
from core.phone_numbers import normalize_phone_number

pytestmark = pytest.mark.django_db


def test_user_has_uuid_pk_and_email_login():
    user = User.objects.create_user("Amina@Example.COM", "a-long-password-1", phone_number="+254712345678")
    assert len(str(user.pk)) == 36
    assert user.email == "amina@example.com"
    assert User.objects.get_by_natural_key("AMINA@example.com") == user
    assert user.check_password("a-long-password-1")
    assert not user.is_verified


def test_email_is_unique_without_regard_to_case():
    User.objects.create_user("chidi@example.com", "pw-long-enough-1")
    with pytest.raises(ValidationError):
        User.objects.create_user("CHIDI@example.com", "pw-long-enough-1")


def test_database_refuses_mixed_case_email_and_duplicate_phone():
    User.objects.create(email="one@example.com", phone_number="+254712345678")
    with pytest.raises(IntegrityError):
        User.objects.create(email="Two@example.com")


def test_database_refuses_duplicate_phone():
    User.objects.create(email="one@example.com", phone_number="+254712345678")
    with pytest.raises(IntegrityError):
        User.objects.create(email="two@example.com", phone_number="+254712345678")


def test_blank_phone_numbers_do_not_collide():
    User.objects.create(email="one@example.com")
    User.objects.create(email="two@example.com")


@pytest.mark.parametrize(
    ("raw", "e164"),
    [("+254 712 345 678", "+254712345678"), ("+234-803-123-4567", "+2348031234567"), ("+27821234567", "+27821234567")],
)
def test_phone_numbers_are_normalised_to_e164(raw, e164):
    assert normalize_phone_number(raw) == e164


@pytest.mark.parametrize("raw", ["0712345678", "+2547", "not a number", "+999123456789"])
def test_invalid_phone_numbers_are_refused(raw):
    with pytest.raises(ValidationError):
        normalize_phone_number(raw)


@pytest.mark.parametrize(
    "raw",
    [
        "+254712345678*",
        "+254712345678x",
        "tel:+254712345678",
        "+254.712.345.678",
        "+254 (712) 345678",
        "+254  712345678",
        "+254712345678-",
        "+254\u0667\u0661\u0662345678",
    ],
)
def test_a_phone_number_is_written_with_digits_spaces_and_dashes_only(raw):
    """`phonenumbers` reads all of these as +254712345678 (a trailing "*", an extension, dots, brackets, Arabic-Indic
    digits): the API takes what its schema says, a "+" and digits in groups parted by single spaces or dashes."""
    with pytest.raises(ValidationError):
        normalize_phone_number(raw)


def test_model_validation_refuses_non_e164_phone():
    with pytest.raises(ValidationError) as exc:
        User.objects.create_user("x@example.com", "pw-long-enough-1", phone_number="0712345678")
    assert "phone_number" in exc.value.message_dict
