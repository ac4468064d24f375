from django.urls import path

from payments import sandbox_views

urlpatterns = [
    path("<str:provider>/checkout/<str:reference>/", sandbox_views.SandboxCheckoutPage.as_view()),
    path("<str:provider>/charges/<str:reference>/complete/", sandbox_views.SandboxCompleteChargeApi.as_view()),
]
