from django.urls import path

from notifications import views

urlpatterns = [
    path("notifications/", views.NotificationListApi.as_view(), name="notifications"),
    path("notifications/read/", views.MarkReadApi.as_view(), name="notifications-read"),
    path("notifications/unread-count/", views.UnreadCountApi.as_view(), name="notifications-unread-count"),
    path("notifications/preferences/", views.PreferencesApi.as_view(), name="notification-preferences"),
]
