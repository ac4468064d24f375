from django import forms
from django.contrib import admin
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import AdminPasswordChangeForm, UserChangeForm, UserCreationForm
from django.db import transaction

from accounts.kyc import decide_kyc_submission
from accounts.models import KycSubmission, StaffAuditEntry, User
from accounts.registration import end_all_sessions
from accounts.services import ban_user, reactivate_user, record_staff_action, suspend_user, verify_user
from accounts.signed_in import signed_in_user
from accounts.two_factor import check_code
from core.admin import (
    MONEY_CORRECTIONS,
    SUSPEND_USERS,
    VERIFY_USERS,
    ReadOnlyAdmin,
    ReasonForm,
    export_as_csv,
    run_correction,
)
from core.errors import ConflictError


class StaffTwoFactorLoginForm(AdminAuthenticationForm):
    """The admin asks staff for a two-factor code too; staff without two-factor sign-in cannot enter."""

    otp_code = forms.CharField(label="Two-factor code", max_length=16, required=False)

    def confirm_login_allowed(self, user):
        super().confirm_login_allowed(user)
        if not user.totp_enabled:
            raise forms.ValidationError(
                "Turn on two-factor sign-in (auth/2fa/setup/) before using the admin.", code="two_factor_required"
            )
        if not check_code(user=user, code=self.data.get("otp_code", "").strip()):
            raise forms.ValidationError("That two-factor code is not right.", code="two_factor_invalid")


admin.site.login_form = StaffTwoFactorLoginForm
admin.site.login_template = "accounts/admin_login.html"


class UserCreateForm(UserCreationForm):
    class Meta:
        model = User
        fields = ("email", "phone_number", "first_name", "last_name")


class UserEditForm(UserChangeForm):
    class Meta:
        model = User
        fields = "__all__"


class UserPasswordForm(AdminPasswordChangeForm):
    """A password set by staff ends the user's sessions, as the user's own change does."""

    def save(self, commit=True):
        user = super().save(commit=commit)
        if commit:
            end_all_sessions(user=user)
        return user


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    form = UserEditForm
    add_form = UserCreateForm
    change_password_form = UserPasswordForm
    ordering = ("-date_joined",)
    list_display = (
        "email",
        "first_name",
        "last_name",
        "phone_number",
        "is_verified",
        "is_active",
        "kyc_tier",
        "is_staff",
        "date_joined",
    )
    list_filter = (
        "is_verified",
        "is_active",
        ("banned_at", admin.EmptyFieldListFilter),
        "kyc_tier",
        "is_staff",
        "is_superuser",
        "groups",
    )
    search_fields = ("email", "first_name", "last_name", "phone_number")
    readonly_fields = ("id", "date_joined", "last_login")
    date_hierarchy = "date_joined"
    actions = ["verify_selected", "suspend_selected", "ban_selected", "reactivate_selected"]

    def has_delete_permission(self, request, obj=None):
        return False  # a member's money and history stay: suspend instead

    def _correct_users(
        self, request, queryset, *, change, action, done, permission, title, explanation, not_yourself=False
    ):
        """One user correction: `change(user_id=…)` (an accounts service) and its audit entry in one transaction,
        for each selected user, after a reason and a confirmation."""
        staff = signed_in_user(request)

        def apply(user, data):
            if not_yourself and user.pk == staff.pk:
                raise ConflictError(f"You cannot {title.split()[0].lower()} yourself.")
            with transaction.atomic():
                change(user_id=user.pk)
                record_staff_action(actor=staff, action=action, target=user, reason=data["reason"], request=request)
            return done

        return run_correction(
            self,
            request,
            queryset,
            permissions=[permission],
            title=title,
            explanation=explanation,
            button=title,
            apply=apply,
        )

    @admin.action(description="Verify selected users (asks for a reason)", permissions=["view"])
    def verify_selected(self, request, queryset):
        return self._correct_users(
            request,
            queryset,
            change=verify_user,
            action="user.verify",
            done="verified.",
            permission=VERIFY_USERS,
            title="Verify users",
            explanation="Each is marked verified, as if they had followed the emailed link.",
        )

    @admin.action(description="Suspend selected users and end their sessions (asks for a reason)", permissions=["view"])
    def suspend_selected(self, request, queryset):
        return self._correct_users(
            request,
            queryset,
            change=suspend_user,
            action="user.suspend",
            done="suspended; every session ended.",
            permission=SUSPEND_USERS,
            title="Suspend users",
            explanation=(
                "Each can no longer sign in, and every signed-in app, browser and admin session of theirs ends now. "
                "Their money stays where it is."
            ),
            not_yourself=True,
        )

    @admin.action(
        description="Ban selected users for good, ending their sessions (asks for a reason)", permissions=["view"]
    )
    def ban_selected(self, request, queryset):
        return self._correct_users(
            request,
            queryset,
            change=ban_user,
            action="user.ban",
            done="banned; every session ended.",
            permission=SUSPEND_USERS,
            title="Ban users",
            explanation=(
                "As a suspension, and for good: a banned user is never reactivated. Every session of theirs ends now; "
                "their money stays where it is until finance settles it."
            ),
            not_yourself=True,
        )

    @admin.action(description="Reactivate selected suspended users (asks for a reason)", permissions=["view"])
    def reactivate_selected(self, request, queryset):
        return self._correct_users(
            request,
            queryset,
            change=reactivate_user,
            action="user.reactivate",
            done="reactivated; they sign in again.",
            permission=SUSPEND_USERS,
            title="Reactivate users",
            explanation=(
                "Each suspended user may sign in again (their old sessions stay ended). Banned users are refused."
            ),
        )

    fieldsets = (
        (None, {"fields": ("id", "email", "password")}),
        ("Person", {"fields": ("first_name", "last_name", "phone_number", "is_verified")}),
        ("Access", {"fields": ("is_active", "banned_at", "is_staff", "is_superuser", "groups", "user_permissions")}),
        ("Dates", {"fields": ("last_login", "date_joined")}),
    )

    def get_readonly_fields(self, request, obj=None):
        # a ban is for good: not even the change form reactivates
        banned = obj is not None and obj.banned_at is not None
        return (*self.readonly_fields, "banned_at", *(("is_active",) if banned else ()))

    def save_model(self, request, obj, form, change):
        with transaction.atomic():
            super().save_model(request, obj, form, change)
            if change and "is_active" in form.changed_data and not obj.is_active:
                end_all_sessions(user=obj)  # deactivated: its tokens stay dead if it is reactivated later
            record_staff_action(
                actor=request.user,
                action="user.change" if change else "user.add",
                target=obj,
                request=request,
                details={"fields": sorted(form.changed_data)},
            )

    add_fieldsets = (
        (
            None,
            {
                "classes": ("wide",),
                "fields": ("email", "phone_number", "first_name", "last_name", "password1", "password2"),
            },
        ),
    )


@admin.register(StaffAuditEntry)
class StaffAuditEntryAdmin(admin.ModelAdmin):
    """Read-only for everyone, superusers included: the log is evidence."""

    list_display = ("created_at", "actor", "action", "target_type", "target_id", "reason", "ip_address")
    list_filter = ("action", "target_type", "created_at")
    search_fields = ("actor__email", "target_id", "reason")
    date_hierarchy = "created_at"

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class KycApprovalForm(ReasonForm):
    tier = forms.TypedChoiceField(
        choices=[(2, "Full"), (1, "Basic")], coerce=int, initial=2, help_text="Sets the user's money limits."
    )


@admin.register(KycSubmission)
class KycSubmissionAdmin(ReadOnlyAdmin):
    """Identity submissions; the number itself is never shown. Staff approve or reject one Smile ID left pending."""

    list_display = ("created_at", "user", "country", "id_type", "first_name", "last_name", "status", "tier_granted")
    list_filter = ("status", "country", "id_type", "created_at")
    search_fields = ("user__email", "user__phone_number", "last_name")
    list_select_related = ("user",)
    date_hierarchy = "created_at"
    exclude = ("id_number", "id_number_hash")
    actions = [export_as_csv, "approve_selected", "reject_selected"]

    def _decide(self, request, queryset, *, approve: bool):
        staff = signed_in_user(request)

        def decide(submission, data):
            tier = data.get("tier", 0)
            with transaction.atomic():
                decide_kyc_submission(
                    submission_id=submission.pk, approve=approve, reason=data["reason"], tier=tier or 2
                )
                record_staff_action(
                    actor=staff,
                    action="kyc.approve" if approve else "kyc.reject",
                    target=submission,
                    reason=data["reason"],
                    request=request,
                    details={"user": str(submission.user_id), **({"tier": tier} if approve else {})},
                )
            return "approved." if approve else "rejected."

        verb = "Approve" if approve else "Reject"
        return run_correction(
            self,
            request,
            queryset,
            permissions=[MONEY_CORRECTIONS],
            title=f"{verb} KYC submissions",
            explanation=(
                "An approval raises each user's tier (and so their money limits); a rejection leaves it. "
                "The user is told either way. Only a pending submission can be decided."
            ),
            button=f"{verb} submissions",
            apply=decide,
            form_class=KycApprovalForm if approve else ReasonForm,
        )

    @admin.action(description="Approve selected KYC submissions (asks for a reason)", permissions=["view"])
    def approve_selected(self, request, queryset):
        return self._decide(request, queryset, approve=True)

    @admin.action(description="Reject selected KYC submissions (asks for a reason)", permissions=["view"])
    def reject_selected(self, request, queryset):
        return self._decide(request, queryset, approve=False)
