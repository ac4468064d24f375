from django import forms
from django.contrib import admin
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import AdminPasswordChangeForm, UserChangeForm, UserCreationForm
from django.db import transaction

from accounts.models import StaffAuditEntry, User
from accounts.registration import end_all_sessions
from accounts.services import record_staff_action
from accounts.two_factor import check_code


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
    list_display = ("email", "first_name", "last_name", "phone_number", "is_verified", "is_staff", "date_joined")
    list_filter = ("is_verified", "is_staff", "is_superuser", "is_active")
    search_fields = ("email", "first_name", "last_name", "phone_number")
    readonly_fields = ("id", "date_joined", "last_login")
    fieldsets = (
        (None, {"fields": ("id", "email", "password")}),
        ("Person", {"fields": ("first_name", "last_name", "phone_number", "is_verified")}),
        ("Access", {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")}),
        ("Dates", {"fields": ("last_login", "date_joined")}),
    )

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
