from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.generics import ListAPIView
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.services import authorize_money_movement
from payments import selectors, services
from payments.errors import RecipientNotFoundError
from payments.filters import WalletEntryFilter
from payments.idempotency import idempotent
from payments.serializers import (
    TransferInputSerializer,
    TransferOutputSerializer,
    WalletEntrySerializer,
    WalletListSerializer,
)

IDEMPOTENCY_KEY = OpenApiParameter(
    "Idempotency-Key", str, OpenApiParameter.HEADER, required=True, description="A UUID you generate per operation."
)
PIN_TOKEN = OpenApiParameter(
    "X-Pin-Token", str, OpenApiParameter.HEADER, required=True, description="From `auth/pin/verify/`; single use."
)
MONEY_ERRORS = {
    403: OpenApiResponse(description="`email_not_verified` or `pin_required`."),
    409: OpenApiResponse(description="`idempotency_key_in_use`: the first request with this key is still running."),
    422: OpenApiResponse(description="`insufficient_funds`, or `idempotency_key_reused` with another body."),
}


class WalletApi(APIView):
    @extend_schema(summary="Wallet balances, one per currency", responses={200: WalletListSerializer})
    def get(self, request):
        wallets = [
            {"currency": w.currency, "balance": str(w.balance)} for w in selectors.wallets_of(user_id=request.user.pk)
        ]
        return Response({"wallets": wallets})


class WalletTransactionsApi(ListAPIView):
    serializer_class = WalletEntrySerializer
    filterset_class = WalletEntryFilter

    def get_queryset(self):
        return selectors.wallet_entries_of(user_id=self.request.user.pk)

    @extend_schema(summary="Wallet history: every posted movement, newest first")
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class TransferApi(APIView):
    @extend_schema(
        summary="Send money to another Pamoja user",
        request=TransferInputSerializer,
        responses={
            201: TransferOutputSerializer,
            404: OpenApiResponse(description="`recipient_not_found`."),
            **MONEY_ERRORS,
        },
        parameters=[IDEMPOTENCY_KEY, PIN_TOKEN],
    )
    @idempotent
    def post(self, request):
        data = TransferInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        authorize_money_movement(user=request.user, pin_token=request.headers.get("X-Pin-Token"))
        recipient = selectors.find_user_by_handle(data.validated_data["recipient"])
        if recipient is None:
            raise RecipientNotFoundError()
        transfer = services.post_transfer(
            sender=request.user,
            recipient=recipient,
            amount=data.validated_data["amount"],
            currency=data.validated_data["currency"],
            note=data.validated_data["note"],
        )
        return Response(TransferOutputSerializer(transfer).data, status=status.HTTP_201_CREATED)
