"""Demo people for `make run`: the staff admin and every demo member, each with a known password and transaction
PIN. Known secrets: `seed_demo` refuses to run with DEBUG off. The world they live in (groups, money, bills, a
loyalty tenant) is built by the `demo` app, on top of every other app."""

from dataclasses import dataclass
from typing import TextIO

from django.contrib.auth.hashers import make_password

from accounts.models import User

STAFF_EMAIL = "admin@pamoja.local"
STAFF_PASSWORD = "pamoja-admin-demo"
MEMBER_PASSWORD = "pamoja-member-demo"
STAFF_TOTP_SECRET = "PAMOJADEMOADMIN2FAKEY7Q3"
DEMO_PIN = "2468"  # every demo member's transaction PIN


@dataclass(frozen=True)
class Person:
    key: str
    email: str
    first_name: str
    last_name: str
    phone_number: str


PEOPLE = [
    Person("amina", "amina@pamoja.local", "Amina", "Otieno", "+254712345678"),
    Person("chidi", "chidi@pamoja.local", "Chidi", "Okafor", "+2348031234567"),
    Person("wanjiru", "wanjiru@pamoja.local", "Wanjiru", "Kamau", "+254722000101"),
    Person("baraka", "baraka@pamoja.local", "Baraka", "Mwangi", "+254722000102"),
    Person("kamau", "kamau@pamoja.local", "Kamau", "Njoroge", "+254722000103"),
    Person("ngozi", "ngozi@pamoja.local", "Ngozi", "Adeyemi", "+2348031000201"),
    Person("tunde", "tunde@pamoja.local", "Tunde", "Bello", "+2348031000202"),
    Person("funke", "funke@pamoja.local", "Funke", "Ogunleye", "+2348031000203"),
    Person("zawadi", "zawadi@pamoja.local", "Zawadi", "Achieng", "+254722000301"),
]
# The first two, as earlier demo seeds and tests know them.
MEMBERS = [
    {"email": p.email, "first_name": p.first_name, "last_name": p.last_name, "phone_number": p.phone_number}
    for p in PEOPLE[:2]
]


def person(key: str) -> User:
    return User.objects.get(email=next(p.email for p in PEOPLE if p.key == key))


def seed(*, stdout: TextIO) -> None:
    """The staff admin (two-factor on) and every demo member: verified email, basic KYC (tier 1), the PIN. People
    already there keep what they have, but get the PIN if they have none. One hash each of the password and the
    PIN, shared by every demo member (PBKDF2 is slow on purpose; this keeps `make run` fast)."""
    if not User.objects.filter(email=STAFF_EMAIL).exists():
        User.objects.create_superuser(
            STAFF_EMAIL,
            STAFF_PASSWORD,
            first_name="Pamoja",
            last_name="Admin",
            is_verified=True,
            totp_secret=STAFF_TOTP_SECRET,
            totp_enabled=True,
        )
    password_hash = pin_hash = ""
    for p in PEOPLE:
        user = User.objects.filter(email=p.email).first()
        if user is None:
            password_hash = password_hash or make_password(MEMBER_PASSWORD)
            pin_hash = pin_hash or make_password(DEMO_PIN)
            user = User.objects.create_user(
                p.email,
                None,
                first_name=p.first_name,
                last_name=p.last_name,
                phone_number=p.phone_number,
                is_verified=True,
                kyc_tier=1,
            )
            User.objects.filter(pk=user.pk).update(password=password_hash, pin_hash=pin_hash)
        elif not user.pin_hash:
            pin_hash = pin_hash or make_password(DEMO_PIN)
            User.objects.filter(pk=user.pk).update(pin_hash=pin_hash, kyc_tier=max(user.kyc_tier, 1))
    stdout.write(f"Admin login: {STAFF_EMAIL} / {STAFF_PASSWORD}\n")
    stdout.write(
        f"Admin two-factor secret: {STAFF_TOTP_SECRET} (an authenticator app, or: "
        f".venv/bin/python -c \"import pyotp; print(pyotp.TOTP('{STAFF_TOTP_SECRET}').now())\")\n"
    )
    stdout.write(f"Member logins: {', '.join(p.email for p in PEOPLE)} / {MEMBER_PASSWORD} (PIN {DEMO_PIN})\n")
