"""The small interface every bill provider adapter speaks, and the values it exchanges.

Only the vendor packages (`<vendor>/adapter.py`) speak HTTP (the sandbox only to itself, in process). Amounts cross
this boundary as Decimal in naira with their currency. Services see a provider's raw answer only as `raw`, kept
for audit.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from typing import Any, Protocol


class BillStatus(StrEnum):
    PENDING = "pending"  # processing, or no usable answer: requery with the same request_id
    DELIVERED = "delivered"
    FAILED = "failed"  # the provider says it did not (and will not) deliver: the money may come back
    REVERSED = "reversed"  # delivered or pending, then returned to our provider wallet
    NOT_FOUND = "not_found"  # requery only: the provider has no purchase with this request_id


@dataclass(frozen=True)
class CatalogCategory:
    identifier: str  # the provider's ("electricity-bill")
    name: str


@dataclass(frozen=True)
class CatalogService:
    service_id: str
    name: str
    min_amount: Decimal | None = None
    max_amount: Decimal | None = None
    convenience_fee: Decimal = Decimal("0")
    product_type: str = ""
    image: str = ""


@dataclass(frozen=True)
class CatalogVariation:
    code: str
    name: str
    amount: Decimal
    fixed_price: bool


@dataclass(frozen=True)
class VerifiedCustomer:
    customer_id: str
    customer_name: str
    address: str = ""
    details: Mapping[str, Any] = field(default_factory=dict)  # meter type, current bouquet, due date, ...
    raw: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class PurchaseRequest:
    request_id: str
    service_id: str
    billers_code: str  # phone for airtime/data, meter, smartcard
    amount: Decimal
    phone: str  # the customer's phone, in the provider's form (the adapter converts from E.164)
    variation_code: str = ""  # data plan, bouquet; for electricity the meter type (prepaid/postpaid)
    subscription_type: str = ""  # TV: "change" (a new bouquet) or "renew"


@dataclass(frozen=True)
class PurchaseResult:
    request_id: str
    status: BillStatus
    code: str = ""  # the provider's response code ("000", "099", ...); "" when there was no answer
    message: str = ""
    charged: bool | None = None  # False when the provider says it took no money (VTPass 091); None: unknown
    provider_reference: str = ""  # VTPass transactionId
    amount: Decimal | None = None
    commission: Decimal | None = None
    token: str = ""
    units: str = ""
    customer_name: str = ""
    raw: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class BillCallback:
    """One transaction update the provider pushed to us. Unsigned (VTPass signs nothing), so it is only a hint:
    the order is requeried before anything is done about it. `event_id` tells repeats apart: the same request id
    in the same state is the same event."""

    event_id: str
    request_id: str
    status: str  # as the provider words it ("delivered", "reversed", ...): for the record, never acted on


class BillProvider(Protocol):
    @property
    def name(self) -> str: ...

    # Our category code (airtime, data, electricity, tv, education) → the provider's category identifier.
    category_identifiers: Mapping[str, str]
    # Our public slug for a provider service id, where they differ (otherwise the service id is the slug).
    service_slugs: Mapping[str, str]

    def new_request_id(self) -> str:
        """A fresh id for one purchase, in the form the provider requires; re-sent on retries and requeries."""
        ...

    def categories(self) -> list[CatalogCategory]: ...

    def services(self, *, category: str) -> list[CatalogService]: ...

    def variations(self, *, service_id: str) -> list[CatalogVariation]: ...

    def merchant_verify(self, *, service_id: str, customer_id: str, meter_type: str = "") -> VerifiedCustomer:
        """Look up a meter or smartcard; raise BillCustomerInvalidError for a number the biller does not know."""
        ...

    def pay(self, request: PurchaseRequest) -> PurchaseResult:
        """Never raises for a missing or unusable answer: that is PENDING, and the caller requeries."""
        ...

    def requery(self, *, request_id: str) -> PurchaseResult: ...

    def parse_callback(self, body: bytes) -> list[BillCallback]:
        """The transaction updates a callback body carries (none for other kinds of update); raise ValueError for
        a body that is not the provider's JSON."""
        ...
