from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework.generics import ListAPIView
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.signed_in import signed_in_user
from notifications import preferences, selectors, services
from notifications.filters import NotificationFilter
from notifications.models import Notification
from notifications.serializers import (
    MarkedSerializer,
    MarkReadSerializer,
    NotificationSerializer,
    PreferencesChangeSerializer,
    PreferencesSerializer,
    UnreadCountSerializer,
)


class NotificationListApi(ListAPIView[Notification]):
    openapi_tag = "notifications"
    serializer_class = NotificationSerializer
    filterset_class = NotificationFilter

    def get_queryset(self) -> QuerySet[Notification]:
        if getattr(self, "swagger_fake_view", False):
            return Notification.objects.none()
        return selectors.notifications_of(user=signed_in_user(self.request))

    @extend_schema(summary="Your notifications, newest first")
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)


class MarkReadApi(APIView):
    openapi_tag = "notifications"

    @extend_schema(
        summary="Mark notifications read: some (`ids`) or every unread one (`all: true`)",
        request=MarkReadSerializer,
        responses={200: MarkedSerializer},
    )
    def post(self, request: Request) -> Response:
        data = MarkReadSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        ids = None if data.validated_data["all"] else data.validated_data["ids"]
        return Response({"marked": services.mark_read(user=signed_in_user(request), ids=ids)})


class UnreadCountApi(APIView):
    openapi_tag = "notifications"

    @extend_schema(summary="How many notifications are unread", responses={200: UnreadCountSerializer})
    def get(self, request: Request) -> Response:
        return Response({"unread": selectors.unread_count(user=signed_in_user(request))})


def _preferences_answer(user_id: Any) -> dict[str, Any]:
    quiet = preferences.quiet_hours(user_id=user_id)
    return {
        "categories": preferences.channel_choices(user_id=user_id),
        "quiet_hours": {
            "starts": quiet.starts.strftime("%H:%M"),
            "ends": quiet.ends.strftime("%H:%M"),
            "time_zone": quiet.time_zone,
        }
        if quiet
        else None,
    }


class PreferencesApi(APIView):
    openapi_tag = "notifications"

    @extend_schema(
        summary="Which channels you get each kind of message on, and your quiet hours",
        responses={200: PreferencesSerializer},
    )
    def get(self, request: Request) -> Response:
        return Response(_preferences_answer(signed_in_user(request).pk))

    @extend_schema(
        summary="Change channels per category and quiet hours (what you leave out stays as it is)",
        request=PreferencesChangeSerializer,
        responses={200: PreferencesSerializer},
    )
    def patch(self, request: Request) -> Response:
        data = PreferencesChangeSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user = signed_in_user(request)
        has_quiet = "quiet_hours" in data.validated_data
        quiet = data.validated_data.get("quiet_hours")
        services.update_preferences(
            user_id=user.pk,
            categories=data.validated_data.get("categories"),
            quiet=quiet,
            clear_quiet=has_quiet and quiet is None,
        )
        return Response(_preferences_answer(user.pk))
