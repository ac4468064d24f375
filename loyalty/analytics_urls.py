from django.urls import path

from loyalty import analytics_views

urlpatterns = [
    path("analytics/", analytics_views.AnalyticsApi.as_view(), name="loyalty-analytics"),
]
