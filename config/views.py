from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.exceptions import NotFound
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from config.readiness import check_states
from core.errors import ServiceUnavailableError


class _ProbeApi(APIView):
    """Probes: public, never throttled, no authentication."""

    authentication_classes = ()
    permission_classes = (AllowAny,)
    throttle_classes = ()


class HealthApi(_ProbeApi):
    @extend_schema(
        summary="Liveness: the process answers",
        responses={200: inline_serializer("HealthStatus", {"status": serializers.CharField()})},
        auth=[],
    )
    def get(self, request):
        return Response({"status": "ok"})


class ReadyApi(_ProbeApi):
    @extend_schema(
        summary="Readiness: database, broker and cache reachable (503 names the one that failed)",
        responses={
            200: inline_serializer(
                "ReadyStatus",
                {"status": serializers.CharField(), "checks": serializers.DictField(child=serializers.CharField())},
            ),
            503: OpenApiResponse(description="`service_unavailable`: `details.checks` names what failed."),
        },
        auth=[],
    )
    def get(self, request):
        states = check_states()
        failed = [name for name, state in states.items() if state != "ok"]
        if failed:
            raise ServiceUnavailableError(f"Not ready: {', '.join(failed)} unreachable.", details={"checks": states})
        return Response({"status": "ok", "checks": states})


class ApiNotFound(_ProbeApi):
    """Any unknown path under /api/ answers 404 in the one error shape, whatever the DEBUG setting."""

    def initial(self, request, *args, **kwargs):
        raise NotFound()
