"""The real URLs plus views that raise each kind of error, for the error-shape tests."""

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.urls import include, path
from rest_framework import serializers
from rest_framework.generics import ListAPIView
from rest_framework.permissions import AllowAny
from rest_framework.views import APIView

from accounts.models import User
from core.errors import InsufficientFundsError


class _Open(APIView):
    authentication_classes = ()
    permission_classes = (AllowAny,)
    throttle_classes = ()


class RaisesDomainError(_Open):
    def post(self, request):
        raise InsufficientFundsError(details={"available": "10.00", "currency": "KES"})


class RaisesPermissionDenied(_Open):
    def get(self, request):
        raise PermissionDenied


class RaisesHttp404(_Open):
    def get(self, request):
        raise Http404("no such group 42")


class RaisesUnexpected(_Open):
    def get(self, request):
        raise RuntimeError("db password=hunter2 at 10.0.0.5 exploded")


def plain_django_view_that_fails(request):
    raise RuntimeError("internal detail that must not leak")


class UserRow(serializers.ModelSerializer):
    class Meta:
        model = User
        fields = ["id", "email"]


class UserList(ListAPIView):
    queryset = User.objects.order_by("email")
    serializer_class = UserRow


urlpatterns = [
    path("api/v1/test/domain-error/", RaisesDomainError.as_view()),
    path("api/v1/test/forbidden/", RaisesPermissionDenied.as_view()),
    path("api/v1/test/missing/", RaisesHttp404.as_view()),
    path("api/v1/test/boom/", RaisesUnexpected.as_view()),
    path("api/v1/test/plain-boom/", plain_django_view_that_fails),
    path("api/v1/test/users/", UserList.as_view()),
    path("", include("config.urls")),
]

handler404 = "core.errors.handler404"
handler500 = "core.errors.handler500"
