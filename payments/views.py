from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.exceptions import NotFound, Throttled
from rest_framework.generics import ListAPIView
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.throttling import UserRateThrottle
from rest_framework.views import APIView

from accounts.signed_in import signed_in_user
from core.errors import ApplicationError, exception_handler
from payments import selectors, services
from payments.endpoints import device_id_of, money_endpoint, require_pin
from payments.errors import RecipientNotFoundError
from payments.filters import WalletEntryFilter, WithdrawalFilter
from payments.models import LedgerEntry, Withdrawal
from payments.serializers import (
    BankAccountInputSerializer,
    BankAccountSerializer,
    CardInputSerializer,
    CardSerializer,
    DepositInputSerializer,
    DepositSerializer,
    TransferInputSerializer,
    TransferOutputSerializer,
    WalletEntrySerializer,
    WalletListSerializer,
    WithdrawalSerializer,
    WithdrawInputSerializer,
)


class WalletApi(APIView):
    @extend_schema(summary="Wallet balances, one per currency", responses={200: WalletListSerializer})
    def get(self, request: Request) -> Response:
        user = signed_in_user(request)
        balances = selectors.wallet_balances_of(user_id=user.pk)
        wallets = [{"currency": currency, "balance": str(balance)} for currency, balance in balances]
        return Response({"wallets": wallets})


class WalletTransactionsApi(ListAPIView[LedgerEntry]):
    serializer_class = WalletEntrySerializer
    filterset_class = WalletEntryFilter

    def get_queryset(self) -> QuerySet[LedgerEntry]:
        if getattr(self, "swagger_fake_view", False):  # the OpenAPI schema is generated with no one signed in
            return LedgerEntry.objects.none()
        return selectors.wallet_entries_of(user_id=signed_in_user(self.request).pk)

    @extend_schema(summary="Wallet history: every posted movement, newest first")
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)


class RecipientLookupThrottle(UserRateThrottle):
    """Recipient lookups per user (`THROTTLE_RECIPIENT_LOOKUP`), counted only when a lookup is about to run: the
    transfer endpoint tells an existing email or phone from an unknown one, so it must not serve as a directory."""

    scope = "recipient_lookup"

    def get_rate(self) -> str | None:
        # Read now: tests and settings may change it. (djangorestframework-stubs types the rates as numbers; DRF's
        # are "count/period" strings, which is what SimpleRateThrottle.get_rate returns.)
        return api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)  # type: ignore[return-value]


class TransferApi(APIView):
    @money_endpoint(
        summary="Send money to another Pamoja user",
        description=(
            "The `X-Pin-Token` is spent by any request that gets as far as looking up the recipient, whether or not "
            "the transfer then succeeds; recipient lookups are rate-limited per user (429 `throttled`)."
        ),
        request=TransferInputSerializer,
        responses={
            201: TransferOutputSerializer,
            404: OpenApiResponse(description="`recipient_not_found`."),
            429: OpenApiResponse(
                description="`throttled`: too many recipient lookups, or `velocity_limited`: too many transfers (or "
                "too much) this hour or day; wait `Retry-After` seconds (`details.retry_after`: when)."
            ),
        },
    )
    def post(self, request: Request) -> Response:
        data = TransferInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        require_pin(request)
        throttle = RecipientLookupThrottle()
        if not throttle.allow_request(request, self):
            raise Throttled(wait=throttle.wait())  # raised: the token's spending rolls back, as nothing was looked up
        try:
            recipient = selectors.find_user_by_handle(data.validated_data["recipient"])
            if recipient is None:
                raise RecipientNotFoundError()
            transfer = services.post_transfer(
                sender=signed_in_user(request),
                recipient=recipient,
                amount=data.validated_data["amount"],
                currency=data.validated_data["currency"],
                note=data.validated_data["note"],
                device_id=device_id_of(request),
            )
        except ApplicationError as exc:
            # Answered, not raised: the request's transaction then commits the spent PIN token (the transfer's own
            # savepoint rolled back, and @idempotent records no error answer), so one token cannot probe which
            # emails and phones have accounts (`recipient_not_found` against `limit_exceeded`).
            return exception_handler(exc, {"view": self, "request": request})
        return Response(TransferOutputSerializer(transfer).data, status=status.HTTP_201_CREATED)


class DepositApi(APIView):
    @money_endpoint(
        pin=False,
        summary="Start a deposit: a card checkout URL, or an M-Pesa STK push to the phone",
        request=DepositInputSerializer,
        responses={
            201: DepositSerializer,
            400: OpenApiResponse(description="`validation_error` or `provider_not_supported`."),
            422: OpenApiResponse(description="`idempotency_key_reused` or `provider_rejected`."),
            503: OpenApiResponse(description="`provider_unavailable`."),
        },
    )
    def post(self, request: Request) -> Response:
        data = DepositInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        charge = services.start_deposit(user=signed_in_user(request), **data.validated_data)
        return Response(DepositSerializer(charge).data, status=status.HTTP_201_CREATED)


class DepositStatusApi(APIView):
    @extend_schema(summary="Where a deposit stands", responses={200: DepositSerializer})
    def get(self, request: Request, reference: str) -> Response:
        if "\x00" in reference:  # no reference holds one, and PostgreSQL refuses to compare with it
            raise NotFound()
        charge = selectors.charge_of(user_id=signed_in_user(request).pk, reference=reference)
        if charge is None:
            raise NotFound()
        return Response(DepositSerializer(charge).data)


class WithdrawApi(APIView):
    @money_endpoint(
        summary="Withdraw to a linked bank account or an M-Pesa number",
        description=(
            "A withdrawal above `NEW_DEVICE_WITHDRAWAL_REVIEW_ABOVE` from a device (`X-Device-Id`) with no completed "
            "transfer or withdrawal yet answers status `held`: the money is set aside, and staff release or reject it."
        ),
        request=WithdrawInputSerializer,
        responses={
            201: WithdrawalSerializer,
            404: OpenApiResponse(description="No such bank account."),
            429: OpenApiResponse(
                description="`velocity_limited`: too many withdrawals (or too much) this hour or day; wait "
                "`Retry-After` seconds (`details.retry_after`: when)."
            ),
            503: OpenApiResponse(description="`provider_unavailable`: the payout provider could not be reached."),
        },
    )
    def post(self, request: Request) -> Response:
        data = WithdrawInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        require_pin(request)
        user = signed_in_user(request)
        bank_account = None
        if data.validated_data.get("bank_account"):
            bank_account = selectors.bank_account_of(user_id=user.pk, pk=data.validated_data["bank_account"])
            if bank_account is None:
                raise NotFound("No such bank account.")
        withdrawal = services.start_withdrawal(
            user=user,
            amount=data.validated_data["amount"],
            currency=data.validated_data["currency"],
            bank_account=bank_account,
            phone_number=data.validated_data.get("phone_number"),
            device_id=device_id_of(request),
        )
        return Response(WithdrawalSerializer(withdrawal).data, status=status.HTTP_201_CREATED)


class WithdrawalListApi(ListAPIView[Withdrawal]):
    serializer_class = WithdrawalSerializer
    filterset_class = WithdrawalFilter

    def get_queryset(self) -> QuerySet[Withdrawal]:
        if getattr(self, "swagger_fake_view", False):  # the OpenAPI schema is generated with no one signed in
            return Withdrawal.objects.none()
        return selectors.withdrawals_of(user_id=signed_in_user(self.request).pk)

    @extend_schema(summary="My withdrawals, newest first")
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)


class BankAccountListApi(APIView):
    @extend_schema(
        summary="My linked bank accounts (numbers masked)", responses={200: BankAccountSerializer(many=True)}
    )
    def get(self, request: Request) -> Response:
        user = signed_in_user(request)
        return Response(BankAccountSerializer(selectors.bank_accounts_of(user_id=user.pk), many=True).data)

    @extend_schema(
        summary="Link a bank account; the holder's name is resolved through the provider",
        request=BankAccountInputSerializer,
        responses={
            201: BankAccountSerializer,
            409: OpenApiResponse(description="`conflict`: already linked."),
            422: OpenApiResponse(description="`provider_rejected`: the provider could not resolve the account."),
        },
    )
    def post(self, request: Request) -> Response:
        data = BankAccountInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        account = services.link_bank_account(user=signed_in_user(request), **data.validated_data)
        return Response(BankAccountSerializer(account).data, status=status.HTTP_201_CREATED)


class CardListApi(APIView):
    @extend_schema(
        summary="My saved cards (brand, last four digits, expiry)", responses={200: CardSerializer(many=True)}
    )
    def get(self, request: Request) -> Response:
        return Response(CardSerializer(selectors.cards_of(user_id=signed_in_user(request).pk), many=True).data)

    @extend_schema(
        summary="Save the card used for a successful deposit (the provider's reusable authorization only)",
        request=CardInputSerializer,
        responses={
            201: CardSerializer,
            404: OpenApiResponse(description="No such deposit."),
            409: OpenApiResponse(description="`conflict`: this card is already saved."),
            422: OpenApiResponse(description="`card_not_reusable`."),
        },
    )
    def post(self, request: Request) -> Response:
        data = CardInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user = signed_in_user(request)
        charge = selectors.charge_of(user_id=user.pk, reference=data.validated_data["reference"])
        if charge is None:
            raise NotFound("No such deposit.")
        card = services.save_card(user=user, charge=charge)
        return Response(CardSerializer(card).data, status=status.HTTP_201_CREATED)
