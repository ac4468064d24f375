"""Saved cards that pay (`cards/{id}/deposit/`), removing a card (`cards/{id}/`), and the banks a user picks from
when linking an account (`banks/available/`)."""

import uuid
from typing import Any

from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.signed_in import signed_in_user
from payments import selectors
from payments.bank_list import COUNTRIES, available_banks
from payments.card_selectors import card_of
from payments.card_serializers import (
    BankListQuerySerializer,
    BankListSerializer,
    CardDepositInputSerializer,
    CardDepositSerializer,
)
from payments.endpoints import money_endpoint, require_pin
from payments.models import BANK_PROVIDERS, Card, Charge
from payments.services.cards import charge_saved_card, remove_card


def _own_card(request: Request, card_id: uuid.UUID) -> Card:
    card = card_of(user_id=signed_in_user(request).pk, pk=card_id)
    if card is None:
        raise NotFound("No such card.")
    return card


class CardDetailApi(APIView):
    @extend_schema(
        summary="Remove a saved card",
        responses={204: None, 404: OpenApiResponse(description="No such card.")},
    )
    def delete(self, request: Request, card_id: uuid.UUID) -> Response:
        remove_card(card=_own_card(request, card_id))
        return Response(status=status.HTTP_204_NO_CONTENT)


class _ChargeResponse(Response):
    """The first answer to a card deposit: it carries the charge, which the provider's answer after commit brings
    up to date, so the answer needs no second read."""

    def __init__(self, data: Any, *, charge: Charge) -> None:
        super().__init__(data, status=status.HTTP_201_CREATED)
        self.charge = charge


def _charge_as_it_is_now(request: Request, response: Response) -> Response:
    """The card is charged once the pending charge has committed: answer what it came to (and, to a replay of the
    same Idempotency-Key, what the charge is now)."""
    if isinstance(response, _ChargeResponse):
        charge: Charge | None = response.charge
    else:
        charge = selectors.charge_of(user_id=signed_in_user(request).pk, reference=response.data["reference"])
    if charge is not None:
        response.data = CardDepositSerializer(charge).data
    return response


class CardDepositApi(APIView):
    @money_endpoint(
        summary="Deposit into the wallet with a saved card (charged at once, no checkout)",
        description=(
            "The card's provider is asked to charge it once the deposit is recorded: the answer says `succeeded` "
            "(the wallet is credited), `failed` (nothing moved) or `pending` (the provider has not decided; follow "
            "`GET wallet/deposits/{reference}/`). The card's provider must take the currency. Needs the PIN: a "
            "saved card is charged without the cardholder."
        ),
        request=CardDepositInputSerializer,
        responses={
            201: CardDepositSerializer,
            400: OpenApiResponse(description="`validation_error` or `provider_not_supported`."),
            404: OpenApiResponse(description="No such card."),
            422: OpenApiResponse(
                description="`card_not_reusable` (expired), or `idempotency_key_reused` with another body."
            ),
        },
        answer_after_commit=_charge_as_it_is_now,
    )
    def post(self, request: Request, card_id: uuid.UUID) -> Response:
        data = CardDepositInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        card = _own_card(request, card_id)
        require_pin(request)
        charge = charge_saved_card(user=signed_in_user(request), card=card, **data.validated_data)
        return _ChargeResponse(CardDepositSerializer(charge).data, charge=charge)


class AvailableBankListApi(APIView):
    @extend_schema(
        summary="The banks a provider pays out to in a country, to pick one when linking an account",
        description="The provider's own list (`code` is what `banks/` takes as `bank_code`), refreshed daily.",
        parameters=[
            OpenApiParameter("country", str, enum=list(COUNTRIES), required=True),
            OpenApiParameter("provider", str, enum=[p for p, _ in BANK_PROVIDERS], description="Default paystack."),
        ],
        responses={
            200: BankListSerializer,
            400: OpenApiResponse(description="`validation_error`: no such country or provider."),
            503: OpenApiResponse(description="`provider_unavailable`: the provider could not be asked."),
        },
    )
    def get(self, request: Request) -> Response:
        query = BankListQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        country, provider = query.validated_data["country"], query.validated_data["provider"]
        banks = available_banks(provider=provider, country=country)
        body = {"country": country, "provider": provider, "banks": [{"code": b.code, "name": b.name} for b in banks]}
        return Response(BankListSerializer(body).data)
