from django.urls import path

from loyalty.channels.ussd_views import UssdCallbackApi

urlpatterns = [
    path("<str:token>/", UssdCallbackApi.as_view(), name="loyalty-ussd"),
]
