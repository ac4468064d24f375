from django.urls import path, re_path

from accounts import views

urlpatterns = [
    path("auth/signup/", views.SignupApi.as_view(), name="auth-signup"),
    path("auth/verify-email/", views.VerifyEmailApi.as_view(), name="auth-verify-email"),
    path("auth/password/reset/", views.PasswordResetApi.as_view(), name="auth-password-reset"),
    path("auth/password/reset/confirm/", views.PasswordResetConfirmApi.as_view(), name="auth-password-reset-confirm"),
    path("auth/password/change/", views.PasswordChangeApi.as_view(), name="auth-password-change"),
    path("auth/login/", views.LoginApi.as_view(), name="auth-login"),
    path("auth/reactivate/", views.ReactivateApi.as_view(), name="auth-reactivate"),
    re_path(r"^auth/social/(?P<provider>google|apple)/$", views.SocialSignInApi.as_view(), name="auth-social"),
    path("auth/2fa/setup/", views.TwoFactorSetupApi.as_view(), name="auth-2fa-setup"),
    path("auth/2fa/confirm/", views.TwoFactorConfirmApi.as_view(), name="auth-2fa-confirm"),
    path("auth/2fa/verify/", views.TwoFactorVerifyApi.as_view(), name="auth-2fa-verify"),
    path("auth/2fa/disable/", views.TwoFactorDisableApi.as_view(), name="auth-2fa-disable"),
    path("auth/refresh/", views.RefreshApi.as_view(), name="auth-refresh"),
    path("auth/logout/", views.LogoutApi.as_view(), name="auth-logout"),
    path("auth/pin/", views.PinApi.as_view(), name="auth-pin"),
    path("auth/pin/verify/", views.PinVerifyApi.as_view(), name="auth-pin-verify"),
    path("users/me/", views.MeApi.as_view(), name="users-me"),
    path("users/me/export/", views.ExportApi.as_view(), name="users-me-export"),
    path("users/me/delete/", views.DeleteAccountApi.as_view(), name="users-me-delete"),
    path("devices/", views.DeviceListApi.as_view(), name="devices"),
    path("kyc/", views.KycApi.as_view(), name="kyc"),
    path("webhooks/smileid/", views.SmileIdWebhookApi.as_view(), name="webhook-smileid"),
    path("devices/<int:device_id>/", views.DeviceApi.as_view(), name="device"),
]
