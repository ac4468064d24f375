"""Merchants' webhook endpoints over REST, under `loyalty/tenants/{tenant_id}/webhooks/`: an admin manages endpoints
and their secrets; any staff member reads them and the delivery log; an admin or manager asks for a redelivery."""

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.generics import ListAPIView
from rest_framework.request import Request
from rest_framework.response import Response

from core.fields import row_id_in_range
from loyalty.access import TenantApi
from loyalty.models import EndpointDelivery, StaffRole, WebhookEndpoint
from loyalty.services import webhooks
from loyalty.webhook_serializers import (
    DeliveryQuerySerializer,
    EndpointDeliverySerializer,
    NewWebhookSecretSerializer,
    WebhookEndpointChangeSerializer,
    WebhookEndpointInputSerializer,
    WebhookEndpointSerializer,
)

NOT_FOUND = OpenApiResponse(description="`not_found`: no such object in this tenant (or no such tenant for you).")
ROLE = OpenApiResponse(description="`permission_denied`: your role (or an API key) may not do this.")
TENANT_ERRORS = {403: ROLE, 404: NOT_FOUND}
BAD_URL = OpenApiResponse(
    description="`validation_error`: `details.url` says why the URL is refused (not http(s) with a DNS host name, "
    "or its host resolves to a loopback, private, link-local or otherwise non-public address), or another field "
    "is wrong."
)
TOO_MANY = OpenApiResponse(description="`conflict`: the tenant has the most endpoints it may; delete one first.")
SWITCHED_OFF = OpenApiResponse(description="`conflict`: the endpoint is switched off; switch it back on first.")


def endpoint_body(endpoint: WebhookEndpoint) -> dict[str, Any]:
    return dict(WebhookEndpointSerializer(endpoint).data)


def with_secret(made: webhooks.EndpointWithSecret) -> dict[str, Any]:
    return {**endpoint_body(made.endpoint), "secret": made.secret}


class WebhookAdminApi(TenantApi):
    """Any staff member reads; only an admin changes endpoints or sees a secret."""

    openapi_tag = "loyalty"
    write_roles = frozenset({StaffRole.ADMIN})


class WebhookListApi(WebhookAdminApi):
    @extend_schema(
        summary="The tenant's webhook endpoints (without their secrets)",
        responses={200: WebhookEndpointSerializer(many=True), **TENANT_ERRORS},
    )
    def get(self, request: Request, tenant_id: Any) -> Response:
        found = webhooks.endpoints_of(tenant=self.tenant)
        return Response(WebhookEndpointSerializer(found, many=True).data)

    @extend_schema(
        summary="Register a webhook endpoint; its signing secret is shown once (admin)",
        request=WebhookEndpointInputSerializer,
        responses={201: NewWebhookSecretSerializer, 400: BAD_URL, **TENANT_ERRORS, 409: TOO_MANY},
    )
    def post(self, request: Request, tenant_id: Any) -> Response:
        data = WebhookEndpointInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        made = webhooks.create_endpoint(tenant=self.tenant, **data.validated_data)
        return Response(with_secret(made), status=status.HTTP_201_CREATED)


class WebhookDetailApi(WebhookAdminApi):
    @extend_schema(summary="A webhook endpoint", responses={200: WebhookEndpointSerializer, **TENANT_ERRORS})
    def get(self, request: Request, tenant_id: Any, endpoint_id: int) -> Response:
        found = webhooks.endpoint_of(tenant=self.tenant, endpoint_id=row_id_in_range(endpoint_id))
        return Response(endpoint_body(found))

    @extend_schema(
        summary="Change an endpoint's URL, events or description, or switch it off or on (admin)",
        request=WebhookEndpointChangeSerializer,
        responses={200: WebhookEndpointSerializer, 400: BAD_URL, **TENANT_ERRORS},
    )
    def patch(self, request: Request, tenant_id: Any, endpoint_id: int) -> Response:
        data = WebhookEndpointChangeSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        changed = webhooks.update_endpoint(
            tenant=self.tenant, endpoint_id=row_id_in_range(endpoint_id), **data.validated_data
        )
        return Response(endpoint_body(changed))

    @extend_schema(
        summary="Delete an endpoint with its delivery log (admin)",
        request=None,
        responses={204: None, **TENANT_ERRORS},
    )
    def delete(self, request: Request, tenant_id: Any, endpoint_id: int) -> Response:
        webhooks.delete_endpoint(tenant=self.tenant, endpoint_id=row_id_in_range(endpoint_id))
        return Response(status=status.HTTP_204_NO_CONTENT)


class WebhookRotateSecretApi(WebhookAdminApi):
    @extend_schema(
        summary="A new signing secret, shown once; the old one also signs for 24 hours (admin)",
        request=None,
        responses={200: NewWebhookSecretSerializer, **TENANT_ERRORS},
    )
    def post(self, request: Request, tenant_id: Any, endpoint_id: int) -> Response:
        made = webhooks.rotate_secret(tenant=self.tenant, endpoint_id=row_id_in_range(endpoint_id))
        return Response(with_secret(made))


class WebhookDeliveryListApi(TenantApi, ListAPIView[EndpointDelivery]):
    openapi_tag = "loyalty"
    serializer_class = EndpointDeliverySerializer
    filter_backends = ()

    def get_queryset(self) -> QuerySet[EndpointDelivery]:
        if getattr(self, "swagger_fake_view", False):
            return EndpointDelivery.objects.none()
        query = DeliveryQuerySerializer(data=self.request.query_params)
        query.is_valid(raise_exception=True)
        endpoint = webhooks.endpoint_of(tenant=self.tenant, endpoint_id=row_id_in_range(self.kwargs["endpoint_id"]))
        return webhooks.deliveries_of(tenant=self.tenant, endpoint=endpoint, state=query.validated_data.get("state"))

    @extend_schema(
        summary="An endpoint's deliveries, newest first, each with its attempts",
        parameters=[DeliveryQuerySerializer],
        responses={200: EndpointDeliverySerializer(many=True), **TENANT_ERRORS},
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)


class WebhookRedeliverApi(TenantApi):
    openapi_tag = "loyalty"

    @extend_schema(
        summary="Send a delivery again now, whatever its state (admin or manager)",
        request=None,
        responses={202: EndpointDeliverySerializer, **TENANT_ERRORS, 409: SWITCHED_OFF},
    )
    def post(self, request: Request, tenant_id: Any, endpoint_id: int, delivery_id: int) -> Response:
        endpoint = webhooks.endpoint_of(tenant=self.tenant, endpoint_id=row_id_in_range(endpoint_id))
        found = webhooks.delivery_of(tenant=self.tenant, endpoint=endpoint, delivery_id=row_id_in_range(delivery_id))
        queued = webhooks.redeliver(tenant=self.tenant, delivery=found)
        fresh = webhooks.deliveries_of(tenant=self.tenant, endpoint=endpoint).get(pk=queued.pk)
        return Response(EndpointDeliverySerializer(fresh).data, status=status.HTTP_202_ACCEPTED)
