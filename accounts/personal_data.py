"""A user's own data: export it (JSON), or delete the account, anonymising the person but keeping the financial
records the law requires. Each app says what it holds (`<app>.obligations.personal_records`) and what must be
settled first (`<app>.obligations.open_obligations`)."""

import uuid

from django.contrib.auth.hashers import make_password
from django.db import transaction

from accounts.errors import AccountHasObligationsError
from accounts.lockout import confirm_password
from accounts.models import User
from accounts.registration import end_all_sessions
from core.app_hooks import installed_app_modules


def export_personal_data(*, user: User) -> dict:
    data = {
        "profile": {
            "id": str(user.pk),
            "email": user.email,
            "phone_number": user.phone_number,
            "first_name": user.first_name,
            "last_name": user.last_name,
            "language": user.language,
            "date_joined": user.date_joined.isoformat(),
            "kyc_tier": user.kyc_tier,
            "referral_code": user.referral_code,
        },
        "devices": list(user.devices.values("platform", "name", "created_at")),
        "kyc_submissions": list(user.kyc_submissions.values("country", "id_type", "status", "created_at")),
        "linked_sign_ins": list(user.social_identities.values("provider", "email", "created_at")),
    }
    for module in installed_app_modules("obligations"):
        if hasattr(module, "personal_records"):
            data[module.__name__.split(".")[0]] = module.personal_records(user=user)
    return data


def delete_account(*, request, user: User, password: str) -> None:
    """The password is checked under the login lockout; every session ends with the account."""
    confirm_password(request=request, user=user, password=password)
    with transaction.atomic():
        User.objects.select_for_update().only("pk").get(pk=user.pk)
        reasons = [
            reason
            for module in installed_app_modules("obligations")
            if hasattr(module, "open_obligations")
            for reason in module.open_obligations(user=user)
        ]
        if reasons:
            raise AccountHasObligationsError(details={"reasons": reasons})
        end_all_sessions(user=user)
        user.devices.all().delete()
        user.social_identities.all().delete()
        user.recovery_codes.all().delete()
        user.pin_tokens.all().delete()
        User.objects.filter(pk=user.pk).update(
            email=f"deleted-{uuid.uuid4().hex}@deleted.invalid",
            phone_number="",
            first_name="",
            last_name="",
            avatar="",
            is_active=False,
            is_verified=False,
            password=make_password(None),  # unusable
            pin_hash="",
            totp_secret="",
            totp_enabled=False,
        )
