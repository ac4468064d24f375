"""Demo users for `make run`. Known passwords: `seed_demo` refuses to run with DEBUG off."""

from typing import TextIO

from accounts.models import User

STAFF_EMAIL = "admin@pamoja.local"
STAFF_PASSWORD = "pamoja-admin-demo"
MEMBER_PASSWORD = "pamoja-member-demo"
STAFF_TOTP_SECRET = "PAMOJADEMOADMIN2FAKEY7Q3"

MEMBERS = [
    {"email": "amina@pamoja.local", "first_name": "Amina", "last_name": "Otieno", "phone_number": "+254712345678"},
    {"email": "chidi@pamoja.local", "first_name": "Chidi", "last_name": "Okafor", "phone_number": "+2348031234567"},
]


def seed(*, stdout: TextIO) -> None:
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
    for member in MEMBERS:
        if not User.objects.filter(email=member["email"]).exists():
            User.objects.create_user(password=MEMBER_PASSWORD, is_verified=True, **member)
    stdout.write(f"Admin login: {STAFF_EMAIL} / {STAFF_PASSWORD}\n")
    stdout.write(
        f"Admin two-factor secret: {STAFF_TOTP_SECRET} (an authenticator app, or: "
        f".venv/bin/python -c \"import pyotp; print(pyotp.TOTP('{STAFF_TOTP_SECRET}').now())\")\n"
    )
    stdout.write(f"Member logins: {', '.join(m['email'] for m in MEMBERS)} / {MEMBER_PASSWORD}\n")
