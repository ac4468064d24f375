from django.urls import path

from billpay import views

urlpatterns = [
    path("vtpass/transactions/<str:request_id>/complete/", views.SandboxCompleteBillApi.as_view()),
]
