from django.urls import path

from accounts import views

urlpatterns = [
    path("auth/login/", views.LoginApi.as_view(), name="auth-login"),
    path("auth/refresh/", views.RefreshApi.as_view(), name="auth-refresh"),
    path("auth/logout/", views.LogoutApi.as_view(), name="auth-logout"),
    path("auth/pin/", views.PinApi.as_view(), name="auth-pin"),
    path("auth/pin/verify/", views.PinVerifyApi.as_view(), name="auth-pin-verify"),
    path("users/me/", views.MeApi.as_view(), name="users-me"),
]
