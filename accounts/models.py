import secrets
import uuid
from typing import ClassVar

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils import timezone

from config.encryption import EncryptedTextField
from core.phone_numbers import validate_e164


def new_referral_code() -> str:
    """Eight unambiguous characters (no 0/O, 1/I): short enough to read out over the phone."""
    alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
    return "".join(secrets.choice(alphabet) for _ in range(8))


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    @classmethod
    def normalize_email(cls, email: str | None) -> str:
        """Emails are compared without case; store them lower-cased so the unique index sees one spelling."""
        return super().normalize_email(email or "").strip().lower()

    def get_by_natural_key(self, username: str | None):
        return self.get(email=self.normalize_email(username))  # the unique index; iexact would scan every row

    def create_user(self, email: str, password: str | None = None, **fields):
        if not email:
            raise ValueError("A user needs an email address.")
        user = self.model(email=self.normalize_email(email), **fields)
        user.set_password(password)
        user.full_clean(exclude=["password"])
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **fields):
        fields.update(is_staff=True, is_superuser=True)
        return self.create_user(email, password, **fields)


class User(AbstractBaseUser, PermissionsMixin):
    """A person: a member on the SPA or finance staff in the admin. Email is the login."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    # Unique as stored; stored lower-cased (a CHECK says so), hence unique without regard to case.
    email = models.EmailField(max_length=254, unique=True)
    phone_number = models.CharField(max_length=16, blank=True, default="", validators=[validate_e164])
    first_name = models.CharField(max_length=150, blank=True, default="")
    last_name = models.CharField(max_length=150, blank=True, default="")
    is_verified = models.BooleanField(default=False, help_text="The email address has been confirmed.")
    is_active = models.BooleanField(default=True)
    banned_at = models.DateTimeField(
        null=True, blank=True, help_text="Banned by staff: inactive for good (a suspension can be lifted, a ban not)."
    )
    is_staff = models.BooleanField(default=False, help_text="Can sign in to the admin.")
    date_joined = models.DateTimeField(default=timezone.now)
    language = models.CharField(max_length=2, choices=[("en", "English"), ("sw", "Kiswahili")], default="en")
    avatar = models.FileField(upload_to="avatars/", blank=True, default="")
    referral_code = models.CharField(max_length=12, unique=True, default=new_referral_code, editable=False)
    referred_by = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="referrals")
    dormant_since = models.DateTimeField(
        null=True, blank=True, help_text="No sign-in for 90 days: money stays in until an emailed code is entered."
    )
    reactivation_code_hash = models.CharField(max_length=128, blank=True, default="")
    reactivation_code_expires_at = models.DateTimeField(null=True, blank=True)
    reactivation_failed_attempts = models.PositiveSmallIntegerField(
        default=0, help_text="Wrong reactivation codes since the last one was sent; five burn the code."
    )
    kyc_tier = models.PositiveSmallIntegerField(
        default=0, choices=[(0, "Unverified"), (1, "Basic"), (2, "Full")], help_text="Sets money limits."
    )
    totp_secret = EncryptedTextField(blank=True, default="", help_text="Encrypted at rest.")
    totp_enabled = models.BooleanField(default=False)
    totp_last_step = models.BigIntegerField(default=0, help_text="The last TOTP time step used (no replays).")
    pin_hash = models.CharField(max_length=128, blank=True, default="", help_text="The transaction PIN, hashed.")
    pin_failed_attempts = models.PositiveSmallIntegerField(default=0)
    pin_locked_until = models.DateTimeField(null=True, blank=True)
    tokens_valid_after = models.DateTimeField(
        null=True,
        blank=True,
        editable=False,
        help_text="Sessions ended here (logout, password change or reset, deactivation): older tokens are refused.",
    )

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    class Meta:
        ordering = ["date_joined"]
        constraints = [
            models.UniqueConstraint(
                fields=["phone_number"], condition=~Q(phone_number=""), name="accounts_user_phone_unique"
            ),
            models.CheckConstraint(condition=Q(email=Lower("email")), name="accounts_user_email_lowercase"),
            models.CheckConstraint(
                condition=Q(phone_number="") | Q(phone_number__startswith="+"),
                name="accounts_user_phone_e164",
            ),
        ]

    def __str__(self) -> str:
        return self.email

    def clean(self) -> None:
        super().clean()
        self.email = type(self).objects.normalize_email(self.email)

    def get_full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    def get_short_name(self) -> str:
        return self.first_name or self.email


class PinToken(models.Model):
    """Proof that the user just entered their PIN: single use, five minutes, bound to the user. Only its hash is
    stored, so a database reader cannot spend one."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="pin_tokens")
    token_hash = models.CharField(max_length=64, unique=True)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["expires_at"], name="accounts_pintoken_expiry")]

    def __str__(self) -> str:
        return f"PIN token of {self.user_id} until {self.expires_at:%H:%M:%S}"


class StaffAuditEntry(models.Model):
    """One staff write (in the admin or through the API): who, what, to what, why, from where. Never edited."""

    actor = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    action = models.CharField(max_length=64)
    target_type = models.CharField(max_length=64)
    target_id = models.CharField(max_length=64)
    reason = models.CharField(max_length=255, blank=True, default="")
    details = models.JSONField(default=dict, blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=255, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name_plural = "staff audit entries"

    def __str__(self) -> str:
        return f"{self.actor_id} {self.action} {self.target_type}:{self.target_id}"


class Device(models.Model):
    """A phone or browser that receives push notifications (its FCM registration token)."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="devices")
    fcm_token = models.CharField(max_length=512, unique=True)
    platform = models.CharField(max_length=8, choices=[("android", "Android"), ("ios", "iOS"), ("web", "Web")])
    name = models.CharField(max_length=100, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)
    last_seen_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.platform} device of {self.user_id}"


class RecoveryCode(models.Model):
    """One of ten single-use codes that stand in for the authenticator app; only its hash is kept."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="recovery_codes")
    code_hash = models.CharField(max_length=128)
    used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"recovery code of {self.user_id}"


class KycStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    APPROVED = "approved", "Approved"
    REJECTED = "rejected", "Rejected"


class KycSubmission(models.Model):
    """Identity data sent to Smile ID; its signed callback decides the status and the user's tier."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="kyc_submissions")
    country = models.CharField(max_length=2, choices=[("NG", "Nigeria"), ("KE", "Kenya")])
    id_type = models.CharField(max_length=16, choices=[("NIN", "NIN"), ("BVN", "BVN"), ("NATIONAL_ID", "National ID")])
    id_number = EncryptedTextField(help_text="Encrypted at rest.")
    id_number_hash = models.CharField(max_length=64, db_index=True)
    first_name = models.CharField(max_length=150)
    last_name = models.CharField(max_length=150)
    date_of_birth = models.DateField()
    status = models.CharField(max_length=16, choices=KycStatus.choices, default=KycStatus.PENDING)
    result_code = models.CharField(max_length=8, blank=True, default="")
    result_text = models.CharField(max_length=255, blank=True, default="")
    tier_granted = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(country="NG", id_type__in=["NIN", "BVN"])
                | models.Q(country="KE", id_type="NATIONAL_ID"),
                name="accounts_kyc_id_type_fits_country",
            )
        ]

    def __str__(self) -> str:
        return f"KYC {self.id_type} of {self.user_id} ({self.status})"


class SocialIdentity(models.Model):
    """A Google or Apple account linked to a user (by the provider's stable subject id)."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="social_identities")
    provider = models.CharField(max_length=8, choices=[("google", "Google"), ("apple", "Apple")])
    subject = models.CharField(max_length=255)
    email = models.EmailField(blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["provider", "subject"], name="accounts_social_identity_once")]

    def __str__(self) -> str:
        return f"{self.provider}:{self.subject}"
