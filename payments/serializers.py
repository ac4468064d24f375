from collections.abc import Callable
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.conf import settings
from rest_framework import serializers

from core.fields import KENYAN_PHONE, AmountField, currency_branches, e164_phone, require_kenyan_phone
from core.money import CURRENCIES, MAX_AMOUNT, AmountError, parse_amount
from payments.models import (
    BANK_PROVIDERS,
    BankAccount,
    Card,
    Charge,
    LedgerEntry,
    Provider,
    TransactionKind,
    Transfer,
    Withdrawal,
)
from payments.providers.base import PaymentProvider
from payments.providers.registry import get_provider
from payments.services.cards import CARD_PROVIDERS
from payments.services.deposits import deposit_maximum

if TYPE_CHECKING:
    # The mixin goes before a Serializer in the bases, whose `validate` its own calls.
    _SerializerBase = serializers.Serializer[Any]
else:
    _SerializerBase = object


class AmountInputMixin(_SerializerBase):
    """Validates `amount` at `currency`'s minor unit (KES 2 decimals, UGX none, ...) into a Decimal."""

    def input_rules(self) -> dict[str, Any]:
        """For the request schema: the amount at each currency's minor unit."""
        return {"anyOf": currency_branches(CURRENCIES)}

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        attrs = super().validate(attrs)
        try:
            attrs["amount"] = parse_amount(attrs["amount"], attrs["currency"])
        except AmountError as exc:
            raise serializers.ValidationError({"amount": [str(exc)]}) from exc
        return attrs


class WalletBalanceSerializer(serializers.Serializer[Any]):
    currency = serializers.CharField()
    balance = serializers.CharField()


class WalletListSerializer(serializers.Serializer[Any]):
    wallets = WalletBalanceSerializer(many=True)


class WalletEntrySerializer(serializers.ModelSerializer[LedgerEntry]):
    transaction_id = serializers.IntegerField(source="transaction.pk")
    kind = serializers.ChoiceField(source="transaction.kind", choices=TransactionKind.choices)
    currency = serializers.CharField(source="account.currency")
    amount = serializers.CharField(help_text="Signed: positive into the wallet, negative out of it.")
    status = serializers.CharField(help_text="`completed`, or a withdrawal's own status.")
    balance_after = serializers.CharField()
    reference = serializers.CharField(source="transaction.reference")
    memo = serializers.CharField(source="transaction.memo")
    created_at = serializers.DateTimeField(source="transaction.created_at")

    class Meta:
        model = LedgerEntry
        fields = [
            "id",
            "transaction_id",
            "kind",
            "status",
            "currency",
            "amount",
            "balance_after",
            "reference",
            "memo",
            "created_at",
        ]


class TransferInputSerializer(AmountInputMixin, serializers.Serializer[Any]):
    amount = AmountField(help_text='A string at the currency\'s minor unit, e.g. "1500.00".')
    currency = serializers.ChoiceField(choices=CURRENCIES)
    recipient = serializers.CharField(max_length=254, help_text="The recipient's email, E.164 phone number or id.")
    note = serializers.CharField(max_length=140, required=False, allow_blank=True, default="")


class TransferOutputSerializer(serializers.ModelSerializer[Transfer]):
    amount = serializers.CharField()
    recipient = serializers.UUIDField(source="recipient_id")

    class Meta:
        model = Transfer
        fields = ["id", "status", "amount", "currency", "recipient", "note", "created_at"]


def _deposit_cap(adapter: PaymentProvider) -> Callable[[str], Decimal]:
    """The most one deposit through `adapter` may be, per currency (for the request schema)."""

    def cap(currency: str) -> Decimal:
        return deposit_maximum(adapter=adapter, currency=currency) or MAX_AMOUNT

    return cap


class DepositInputSerializer(AmountInputMixin, serializers.Serializer[Any]):
    amount = AmountField()
    currency = serializers.ChoiceField(choices=CURRENCIES)
    provider = serializers.ChoiceField(choices=Provider.choices)
    phone_number = serializers.CharField(required=False, max_length=20, help_text="E.164; required for M-Pesa.")

    def input_rules(self) -> dict[str, Any]:
        """Each provider's currencies (`check_provider_takes`), each with its deposit maximum (`deposit_maximum`);
        M-Pesa also a Kenyan phone and whole shillings (`validate`)."""
        branches: list[dict[str, Any]] = []
        for provider, currencies in settings.PROVIDER_CURRENCIES.items():
            mpesa = provider == Provider.MPESA
            extra: dict[str, Any] = {"phone_number": KENYAN_PHONE} if mpesa else {}
            for rule in currency_branches(
                currencies,
                maximum=_deposit_cap(get_provider(provider)),
                places=0 if mpesa else None,
                provider={"enum": [provider]},
                **extra,
            ):
                branches.append({**rule, "required": ["phone_number"]} if mpesa else rule)
        return {"anyOf": branches}

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        attrs = super().validate(attrs)
        if attrs.get("phone_number"):
            attrs["phone_number"] = e164_phone(attrs["phone_number"])
        if attrs["provider"] == Provider.MPESA:
            if not attrs.get("phone_number"):
                raise serializers.ValidationError({"phone_number": ["M-Pesa deposits need the paying phone number."]})
            require_kenyan_phone(attrs["phone_number"])
            if attrs["amount"] != attrs["amount"].to_integral_value():
                raise serializers.ValidationError({"amount": ["M-Pesa takes whole shillings."]})
        return attrs


class DepositSerializer(serializers.ModelSerializer[Charge]):
    amount = serializers.CharField()
    authorization_url = serializers.CharField(allow_blank=True, max_length=500)

    class Meta:
        model = Charge
        fields = [
            "reference",
            "status",
            "amount",
            "currency",
            "provider",
            "authorization_url",
            "failure_reason",
            "created_at",
        ]


class WithdrawInputSerializer(AmountInputMixin, serializers.Serializer[Any]):
    amount = AmountField()
    currency = serializers.ChoiceField(choices=CURRENCIES)
    bank_account = serializers.UUIDField(required=False, help_text="One of your linked bank accounts.")
    phone_number = serializers.CharField(required=False, max_length=20, help_text="E.164 M-Pesa number.")

    def input_rules(self) -> dict[str, Any]:
        """Exactly one of `bank_account` and `phone_number`; to a phone, M-Pesa's currencies in whole units and a
        Kenyan number (`validate`, `check_provider_takes`)."""
        to_bank = {
            "required": ["bank_account"],
            "not": {"required": ["phone_number"]},
            "anyOf": currency_branches(CURRENCIES),
        }
        to_phone = {
            "required": ["phone_number"],
            "not": {"required": ["bank_account"]},
            "anyOf": currency_branches(
                settings.PROVIDER_CURRENCIES[Provider.MPESA], places=0, phone_number=KENYAN_PHONE
            ),
        }
        return {"anyOf": [to_bank, to_phone]}

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        attrs = super().validate(attrs)
        if bool(attrs.get("bank_account")) == bool(attrs.get("phone_number")):
            raise serializers.ValidationError(
                {"non_field_errors": ["Give either bank_account or phone_number (M-Pesa), not both."]}
            )
        if attrs.get("phone_number"):
            attrs["phone_number"] = e164_phone(attrs["phone_number"])
            require_kenyan_phone(attrs["phone_number"])
            if attrs["amount"] != attrs["amount"].to_integral_value():
                raise serializers.ValidationError({"amount": ["M-Pesa takes whole shillings."]})
        return attrs


class WithdrawalSerializer(serializers.ModelSerializer[Withdrawal]):
    amount = serializers.CharField()
    fee = serializers.CharField()

    class Meta:
        model = Withdrawal
        fields = ["id", "reference", "status", "amount", "fee", "currency", "provider", "failure_reason", "created_at"]


class BankAccountInputSerializer(serializers.Serializer[Any]):
    provider = serializers.ChoiceField(choices=BANK_PROVIDERS)
    currency = serializers.ChoiceField(choices=CURRENCIES)
    bank_code = serializers.CharField(max_length=32)
    bank_name = serializers.CharField(max_length=120, required=False, allow_blank=True, default="")
    account_number = serializers.RegexField(r"^[0-9]{6,20}$", max_length=20)
    make_primary = serializers.BooleanField(default=False)

    def input_rules(self) -> dict[str, Any]:
        """Each provider's currencies (`check_provider_takes`)."""
        return {
            "anyOf": [
                {
                    "properties": {
                        "provider": {"enum": [provider]},
                        "currency": {"enum": settings.PROVIDER_CURRENCIES[provider]},
                    }
                }
                for provider, _ in BANK_PROVIDERS
            ]
        }


class BankAccountSerializer(serializers.ModelSerializer[BankAccount]):
    account_number = serializers.CharField(source="masked_number")

    class Meta:
        model = BankAccount
        fields = [
            "id",
            "provider",
            "currency",
            "bank_code",
            "bank_name",
            "account_number",
            "account_name",
            "is_primary",
            "created_at",
        ]


class CardInputSerializer(serializers.Serializer[Any]):
    reference = serializers.CharField(max_length=64, help_text="A successful card deposit's reference.")


class CardSerializer(serializers.ModelSerializer[Card]):
    class Meta:
        model = Card
        fields = ["id", "provider", "brand", "last4", "exp_month", "exp_year", "bank", "created_at"]


# --- saved cards that pay (`cards/{id}/deposit/`, `card_views.py`) ---


def _card_currencies() -> list[str]:
    taken = {currency for provider in CARD_PROVIDERS for currency in settings.PROVIDER_CURRENCIES[provider]}
    return [currency for currency in CURRENCIES if currency in taken]


def _largest_card_deposit(currency: str) -> Decimal:
    """The most a card deposit may be in `currency` through any card provider (the card's own decides)."""
    caps = []
    for provider in CARD_PROVIDERS:
        if currency in settings.PROVIDER_CURRENCIES[provider]:
            caps.append(deposit_maximum(adapter=get_provider(provider), currency=currency) or MAX_AMOUNT)
    return max(caps, default=MAX_AMOUNT)


class CardDepositInputSerializer(AmountInputMixin, serializers.Serializer[Any]):
    amount = AmountField(help_text='A string at the currency\'s minor unit, e.g. "5000.00".')
    currency = serializers.ChoiceField(
        choices=CURRENCIES, help_text="One the card's provider takes (`provider_not_supported` otherwise)."
    )

    def input_rules(self) -> dict[str, Any]:
        """The card providers' currencies, each with its deposit maximum (`check_provider_takes`,
        `check_deposit_maximum`; the card's own provider decides which of them)."""
        return {"anyOf": currency_branches(_card_currencies(), maximum=_largest_card_deposit)}
