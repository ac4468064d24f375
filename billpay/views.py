"""Bill payments over REST: the catalog, customer verification, orders (paid from the wallet), receipts,
beneficiaries, the provider's callback and the sandbox's control surface. Thin: services write, selectors read."""

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.exceptions import ParseError, ValidationError
from rest_framework.generics import ListAPIView
from rest_framework.permissions import AllowAny
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import UserRateThrottle
from rest_framework.views import APIView

from accounts.signed_in import signed_in_user
from billpay import selectors
from billpay.filters import BillOrderFilter
from billpay.models import Beneficiary, Biller, BillOrder, CategoryCode
from billpay.receipts import ReceiptPdfRenderer, order_receipt
from billpay.serializers import (
    BeneficiaryChangeSerializer,
    BeneficiaryInputSerializer,
    BeneficiarySerializer,
    BillOrderSerializer,
    BillServiceSerializer,
    BillVariationSerializer,
    BuyAgainInputSerializer,
    OrderInputSerializer,
    ReceiptSerializer,
    SandboxCompleteInputSerializer,
    VerifiedCustomerSerializer,
    VerifyInputSerializer,
)
from billpay.services import beneficiaries, callbacks, catalog, orders
from config.raw_body import RawBodyParser
from core.fields import row_id_in_range
from payments.endpoints import money_endpoint, require_pin


class BillsApi(APIView):
    openapi_tag = "bills"


class BillsListApi(ListAPIView[Any]):
    openapi_tag = "bills"


NOT_FOUND_SERVICE = OpenApiResponse(description="`not_found`: no such service (or no longer sold).")
ORDER_ERRORS = {
    201: BillOrderSerializer,
    400: OpenApiResponse(
        description="`validation_error`: an amount outside the service's minimum and maximum or not at the "
        "currency's minor unit, a plan of another service, a malformed phone, meter or smartcard number."
    ),
    403: OpenApiResponse(description="`email_not_verified`, `pin_required`, `pin_invalid` or `limit_exceeded`."),
    404: NOT_FOUND_SERVICE,
    503: OpenApiResponse(
        description="`provider_unavailable`: the bill provider is failing; nothing was debited, try again shortly."
    ),
}


class PlacedOrderResponse(Response):
    """The first answer to an order: it carries the order `place_order` returned, which the purchase after commit
    brings up to date, so the answer needs no second read."""

    def __init__(self, data: Any, *, status: int, placed_order: BillOrder) -> None:
        super().__init__(data, status=status)
        self.placed_order = placed_order


def _place(request: Request, *, service: str, **order: Any) -> Response:
    """Checks the PIN only once the order is known to be valid (a bad order spends no token), then places it."""
    user = signed_in_user(request)
    placed = orders.place_order(user=user, biller=service, authorize=lambda: require_pin(request), **order)
    # the order's id is all the first answer needs: `_order_as_it_is_now` answers the order itself after commit
    return PlacedOrderResponse({"id": str(placed.pk)}, status=status.HTTP_201_CREATED, placed_order=placed)


def _order_as_it_is_now(request: Request, response: Response) -> Response:
    """The purchase is sent once the hold has committed: answer what it came to (and, to a replay of the same
    Idempotency-Key, what the order is now), not the `pending` it was at commit."""
    if isinstance(response, PlacedOrderResponse):  # the first answer: the order as the purchase left it
        order = response.placed_order
    else:  # a replay: the order as it is now
        order = selectors.order_of(user_id=signed_in_user(request).pk, order_id=response.data["id"])
    response.data = BillOrderSerializer(order).data
    return response


class BillServiceListApi(BillsListApi):
    serializer_class = BillServiceSerializer
    filter_backends = ()

    def get_queryset(self) -> list[Biller]:  # type: ignore[override]
        if getattr(self, "swagger_fake_view", False):  # the schema is generated without touching the database
            return []
        category = self.request.query_params.get("category") or None
        if category is not None and category not in CategoryCode.values:
            raise ValidationError({"category": [f"One of: {', '.join(CategoryCode.values)}."]})
        return selectors.list_billers(category=category)

    @extend_schema(
        summary="What can be bought: airtime, data, electricity, TV and education services (from our catalog)",
        parameters=[OpenApiParameter("category", str, enum=CategoryCode.values)],
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)


class BillVariationListApi(BillsApi):
    @extend_schema(
        summary="A service's plans or bouquets, cheapest first, at the provider's price",
        responses={200: BillVariationSerializer(many=True), 404: NOT_FOUND_SERVICE},
    )
    def get(self, request: Request, service_id: str) -> Response:
        variations = selectors.list_variations(slug=service_id)
        return Response(BillVariationSerializer(variations, many=True).data)


class BillVerifyApi(BillsApi):
    @extend_schema(
        summary="Check a meter or smartcard number with the biller before paying",
        request=VerifyInputSerializer,
        responses={
            200: VerifiedCustomerSerializer,
            400: OpenApiResponse(description="`validation_error`: a malformed number, or a service with no account."),
            404: NOT_FOUND_SERVICE,
            422: OpenApiResponse(description="`bill_customer_invalid`: the biller does not know this number."),
            503: OpenApiResponse(description="`provider_unavailable`: the biller could not be asked."),
        },
    )
    def post(self, request: Request) -> Response:
        data = VerifyInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        customer = catalog.verify_bill_customer(**data.validated_data)
        details = {"address": customer.address, **customer.details} if customer.address else dict(customer.details)
        body = {"customer_id": customer.customer_id, "customer_name": customer.customer_name, "details": details}
        return Response(body)


class BillOrderListApi(BillsListApi):
    serializer_class = BillOrderSerializer
    filterset_class = BillOrderFilter

    def get_queryset(self) -> QuerySet[BillOrder]:
        if getattr(self, "swagger_fake_view", False):
            return BillOrder.objects.none()
        return selectors.orders_of(user_id=signed_in_user(self.request).pk)

    @extend_schema(summary="Your bill orders, newest first")
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)

    @money_endpoint(
        summary="Buy airtime, data, electricity, TV or an exam PIN from your wallet",
        description=(
            "The money leaves the wallet at once and the purchase goes to the provider. The answer says "
            "`delivered` (with the electricity token and units), `failed` (the money is back in the wallet, "
            "`refunded: true`) or `pending` (the provider has not answered yet: we ask again until it does; never "
            "pay twice for the same thing, follow `GET bills/orders/{id}/`)."
        ),
        request=OrderInputSerializer,
        responses=ORDER_ERRORS,
        answer_after_commit=_order_as_it_is_now,
    )
    def post(self, request: Request) -> Response:
        data = OrderInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        return _place(request, **data.validated_data)


class BillOrderDetailApi(BillsApi):
    @extend_schema(summary="One of your bill orders", responses={200: BillOrderSerializer})
    def get(self, request: Request, order_id: str) -> Response:
        order = selectors.order_of(user_id=signed_in_user(request).pk, order_id=order_id)
        return Response(BillOrderSerializer(order).data)


class BillReceiptApi(BillsApi):
    renderer_classes = [JSONRenderer, ReceiptPdfRenderer]

    @extend_schema(
        summary="An order's receipt, as JSON or PDF",
        parameters=[OpenApiParameter("format", str, enum=["json", "pdf"], description="Or the Accept header.")],
        responses={(200, "application/json"): ReceiptSerializer, (200, "application/pdf"): bytes},
    )
    def get(self, request: Request, order_id: str) -> Response:
        order = selectors.order_of(user_id=signed_in_user(request).pk, order_id=order_id)
        return Response(order_receipt(order))


class TokenResendThrottle(UserRateThrottle):
    scope = "bill_token_resend"


class BillTokenResendApi(BillsApi):
    throttle_classes = [TokenResendThrottle]

    @extend_schema(
        summary="Send a delivered order's token to you again",
        request=None,
        responses={
            202: BillOrderSerializer,
            409: OpenApiResponse(description="`bill_order_state`: the order has no token (not delivered, or none)."),
        },
    )
    def post(self, request: Request, order_id: str) -> Response:
        order = orders.resend_token(user_id=signed_in_user(request).pk, order_id=order_id)
        return Response(BillOrderSerializer(order).data, status=status.HTTP_202_ACCEPTED)


# --- beneficiaries -----------------------------------------------------------------------------------------------


class BeneficiaryListApi(BillsListApi):
    serializer_class = BeneficiarySerializer
    filter_backends = ()

    def get_queryset(self) -> QuerySet[Beneficiary]:
        if getattr(self, "swagger_fake_view", False):
            return Beneficiary.objects.none()
        return selectors.beneficiaries_of(user_id=signed_in_user(self.request).pk)

    @extend_schema(summary="Your saved numbers (beneficiaries), by label")
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)

    @extend_schema(
        summary="Save a number you pay often",
        request=BeneficiaryInputSerializer,
        responses={
            201: BeneficiarySerializer,
            404: NOT_FOUND_SERVICE,
            409: OpenApiResponse(description="`conflict`: this number is saved for this service already."),
        },
    )
    def post(self, request: Request) -> Response:
        data = BeneficiaryInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        saved = beneficiaries.add_beneficiary(user=signed_in_user(request), **data.validated_data)
        return Response(BeneficiarySerializer(saved).data, status=status.HTTP_201_CREATED)


class BeneficiaryDetailApi(BillsApi):
    @extend_schema(summary="One saved number", responses={200: BeneficiarySerializer})
    def get(self, request: Request, beneficiary_id: int) -> Response:
        user_id = signed_in_user(request).pk
        found = selectors.beneficiary_of(user_id=user_id, beneficiary_id=row_id_in_range(beneficiary_id))
        return Response(BeneficiarySerializer(found).data)

    @extend_schema(
        summary="Rename a saved number", request=BeneficiaryChangeSerializer, responses={200: BeneficiarySerializer}
    )
    def patch(self, request: Request, beneficiary_id: int) -> Response:
        data = BeneficiaryChangeSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        changed = beneficiaries.change_beneficiary(
            user_id=signed_in_user(request).pk, beneficiary_id=row_id_in_range(beneficiary_id), **data.validated_data
        )
        return Response(BeneficiarySerializer(changed).data)

    @extend_schema(summary="Forget a saved number", request=None, responses={204: None})
    def delete(self, request: Request, beneficiary_id: int) -> Response:
        beneficiaries.remove_beneficiary(
            user_id=signed_in_user(request).pk, beneficiary_id=row_id_in_range(beneficiary_id)
        )
        return Response(status=status.HTTP_204_NO_CONTENT)


class BuyAgainApi(BillsApi):
    request_body_required = True  # an amount or a plan: no service takes neither

    @money_endpoint(
        summary="Buy again for a saved number (the same as `POST bills/orders/` with its service and number)",
        request=BuyAgainInputSerializer,
        responses={**ORDER_ERRORS, 404: OpenApiResponse(description="`not_found`: no such beneficiary or service.")},
        answer_after_commit=_order_as_it_is_now,
    )
    def post(self, request: Request, beneficiary_id: int) -> Response:
        saved = selectors.beneficiary_of(
            user_id=signed_in_user(request).pk, beneficiary_id=row_id_in_range(beneficiary_id)
        )
        data = BuyAgainInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        return _place(request, service=saved.biller.slug, customer_id=saved.number, **data.validated_data)


# --- the provider's callback and the sandbox's control surface ----------------------------------------------------


class VTPassWebhookApi(APIView):
    authentication_classes = ()
    permission_classes = (AllowAny,)
    throttle_classes = ()
    parser_classes = (RawBodyParser,)
    openapi_tag = "webhooks"

    @extend_schema(
        summary="VTPass transaction updates (unsigned: the URL carries our secret; we requery before acting)",
        request={"application/json": {"type": "object"}},
        responses={
            200: inline_serializer("VTPassAck", {"response": serializers.CharField()}),
            400: OpenApiResponse(description="`validation_error`: the body is not a JSON object."),
            401: OpenApiResponse(description="`signature_invalid`: not our callback URL; nothing changed."),
        },
        auth=[],
    )
    def post(self, request: Request, token: str) -> Response:
        body = request.data if isinstance(request.data, bytes) else b""
        if b"\x00" in body:
            raise ParseError("The body holds NUL characters.")
        callbacks.receive_bill_callback(token=token, headers=request.headers, body=body)
        return Response({"response": "success"})


class SandboxCompleteBillApi(APIView):
    """Development only (mounted with PROVIDERS_SANDBOX): end a pending sandbox purchase, like VTPass's staff
    would, and deliver its transaction-update callback."""

    authentication_classes = ()
    permission_classes = (AllowAny,)

    @extend_schema(exclude=True)
    def post(self, request: Request, request_id: str) -> Response:
        data = SandboxCompleteInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        record = catalog.complete_sandbox_transaction(request_id=request_id, outcome=data.validated_data["outcome"])
        return Response({"request_id": record.request_id, "status": record.status})
