"""A wallet movement's detail and receipt (JSON, PDF), the wallet statement over a period (JSON, CSV, PDF), and
the member's deposits and transfers as sortable lists. Only the owner sees their own: anyone else's is a 404."""

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.generics import ListAPIView
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.signed_in import signed_in_user
from core.fields import row_id_in_range
from core.money import CURRENCIES
from payments import receipts
from payments.filters import DepositFilter, TransferFilter
from payments.models import Charge, Transfer
from payments.receipt_renderers import (
    WalletReceiptPdfRenderer,
    WalletStatementCsvRenderer,
    WalletStatementPdfRenderer,
)
from payments.receipt_serializers import (
    DepositListSerializer,
    TransferListSerializer,
    WalletReceiptSerializer,
    WalletStatementQuerySerializer,
    WalletStatementSerializer,
    WalletTransactionDetailSerializer,
)

# a date from 2000-01-01 to 2100-12-31 (SANE_DATE)
STATEMENT_DATE = {"type": "string", "format": "date", "pattern": r"^(20[0-9]{2}|2100)-"}


class StrictFormatMixin:
    """`?format=` names one of the view's renderers, or the answer is a 400 `validation_error` (DRF's own answer
    to an unknown format is a 404, as if the object were missing). Checked once the caller is known, so a signed-out
    request is still a 401."""

    renderer_classes: list[type[BaseRenderer]]
    _unknown_format = ""

    def perform_content_negotiation(self, request: Request, force: bool = False) -> tuple[BaseRenderer, str]:
        wanted = request.query_params.get("format", "")
        if wanted and wanted not in {renderer.format for renderer in self.renderer_classes}:
            self._unknown_format = wanted
            return JSONRenderer(), JSONRenderer.media_type
        negotiated: tuple[BaseRenderer, str] = super().perform_content_negotiation(request, force)  # type: ignore[misc]
        return negotiated

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)  # type: ignore[misc]
        if self._unknown_format:
            formats = ", ".join(renderer.format for renderer in self.renderer_classes)
            raise ValidationError({"format": [f"Choose one of: {formats}."]})


def _entry_or_404(request: Request, entry_id: int) -> Any:
    entry = receipts.wallet_entry_of(user_id=signed_in_user(request).pk, entry_id=row_id_in_range(entry_id))
    if entry is None:
        raise NotFound("No such transaction.")
    return entry


class WalletTransactionDetailApi(StrictFormatMixin, APIView):
    renderer_classes = [JSONRenderer]

    @extend_schema(
        summary="One wallet movement: counterparty, fee, provider reference and M-Pesa receipt code",
        responses={200: WalletTransactionDetailSerializer},
    )
    def get(self, request: Request, entry_id: int) -> Response:
        entry = _entry_or_404(request, entry_id)
        return Response(receipts.wallet_entry_detail(entry, user_id=signed_in_user(request).pk))


class WalletReceiptApi(StrictFormatMixin, APIView):
    renderer_classes = [JSONRenderer, WalletReceiptPdfRenderer]

    @extend_schema(
        summary="A wallet movement's receipt, as JSON or PDF",
        parameters=[OpenApiParameter("format", str, enum=["json", "pdf"], description="Or the Accept header.")],
        responses={(200, "application/json"): WalletReceiptSerializer, (200, "application/pdf"): bytes},
    )
    def get(self, request: Request, entry_id: int) -> Response:
        entry = _entry_or_404(request, entry_id)
        return Response(receipts.wallet_entry_receipt(entry, user=signed_in_user(request)))


class WalletStatementApi(StrictFormatMixin, APIView):
    renderer_classes = [JSONRenderer, WalletStatementCsvRenderer, WalletStatementPdfRenderer]

    @extend_schema(
        summary="The wallet's statement in one currency over a period, as JSON, CSV or PDF",
        description=(
            "Days are in the server's time zone (`TIME_ZONE`). Opening balance plus the movements is the closing "
            "balance; for a period that ends today it is the wallet's balance."
        ),
        parameters=[
            OpenApiParameter("currency", str, required=True, enum=list(CURRENCIES)),
            OpenApiParameter("start", STATEMENT_DATE, description="First day; default 90 days before `end`."),
            OpenApiParameter("end", STATEMENT_DATE, description="Last day, included; default today."),
            OpenApiParameter("format", str, enum=["json", "csv", "pdf"], description="Or the Accept header."),
        ],
        responses={
            (200, "application/json"): WalletStatementSerializer,
            (200, "text/csv"): OpenApiTypes.STR,
            (200, "application/pdf"): OpenApiTypes.BINARY,
        },
    )
    def get(self, request: Request) -> Response:
        # `?start=` with nothing after it is no date, as Django's forms read it
        query = WalletStatementQuerySerializer(
            data={name: value for name, value in request.query_params.items() if name != "format" and value != ""}
        )
        query.is_valid(raise_exception=True)
        period = receipts.statement_period(start=query.validated_data.get("start"), end=query.validated_data.get("end"))
        if period.start > period.end:
            raise ValidationError({"start": ["The start comes after the end."]})
        user = signed_in_user(request)
        return Response(receipts.wallet_statement(user=user, currency=query.validated_data["currency"], period=period))


class DepositListApi(ListAPIView[Charge]):
    serializer_class = DepositListSerializer
    filterset_class = DepositFilter

    def get_queryset(self) -> QuerySet[Charge]:
        if getattr(self, "swagger_fake_view", False):  # the OpenAPI schema is generated with no one signed in
            return Charge.objects.none()
        return receipts.deposits_of(user_id=signed_in_user(self.request).pk)

    @extend_schema(summary="My deposits, newest first (or `?ordering=`)")
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)


class TransferListApi(ListAPIView[Transfer]):
    serializer_class = TransferListSerializer
    filterset_class = TransferFilter

    def get_queryset(self) -> QuerySet[Transfer]:
        if getattr(self, "swagger_fake_view", False):  # the OpenAPI schema is generated with no one signed in
            return Transfer.objects.none()
        return receipts.transfers_of(user_id=signed_in_user(self.request).pk)

    @extend_schema(summary="Transfers I sent or received, newest first (or `?ordering=`)")
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)
