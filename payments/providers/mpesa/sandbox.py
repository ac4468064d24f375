"""M-Pesa Daraja's sandbox: STK pushes that complete by themselves (Safaricom's failing test numbers fail), B2C
payouts to phones, and Daraja's own callbacks to the URL (with its token) that the request named."""

import json
from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from payments.models import SandboxPayment
from payments.providers.base import ChargeRequest, ProviderRejectedError
from payments.providers.sandbox import ProviderSandbox

# The last four digits of a test phone number, and how its STK push ends.
STK_RESULTS = {
    "1032": (1032, "Request cancelled by user"),
    "1037": (1037, "DS timeout user cannot be reached"),
    "0001": (1, "The balance is insufficient for the transaction"),
}


class MpesaSandbox(ProviderSandbox):
    name = "mpesa"
    charges_by_phone = True
    pays_bank_accounts = False

    def check_amount(self, *, amount: Decimal, currency: str) -> None:
        if currency != "KES" or amount != amount.to_integral():
            raise ProviderRejectedError("M-Pesa takes whole Kenya shillings.")

    def charge_outcome(self, request: ChargeRequest) -> str:
        return "failed" if (request.phone_number or "")[-4:] in STK_RESULTS else "success"

    @classmethod
    def webhook_for(cls, record: SandboxPayment) -> tuple[str, bytes, dict[str, str]]:
        ok = record.status == "succeeded"
        phone = record.details.get("phone_number", "") or record.details.get("destination", "")
        if record.kind == "charge":
            code, description = (
                (0, "The service request is processed successfully.")
                if ok
                else STK_RESULTS.get(phone[-4:], (1032, "Request cancelled by user"))
            )
            callback = {
                "MerchantRequestID": f"sbx-{record.pk}",
                "CheckoutRequestID": record.provider_reference,
                "ResultCode": code,
                "ResultDesc": description,
            }
            if ok:
                stamp = datetime.now(ZoneInfo("Africa/Nairobi")).strftime("%Y%m%d%H%M%S")
                callback["CallbackMetadata"] = {
                    "Item": [
                        {"Name": "Amount", "Value": int(record.amount)},
                        {"Name": "MpesaReceiptNumber", "Value": f"SBX{record.pk:07d}"},
                        {"Name": "Balance"},
                        {"Name": "TransactionDate", "Value": int(stamp)},
                        {"Name": "PhoneNumber", "Value": int(phone.lstrip("+") or 0)},
                    ]
                }
            body = json.dumps({"Body": {"stkCallback": callback}}).encode()
        else:
            result: dict[str, object] = {
                "ResultType": 0,
                "ResultCode": 0 if ok else 2040,
                "ResultDesc": "The service request is processed successfully."
                if ok
                else "The recipient is not a registered M-Pesa customer.",
                "OriginatorConversationID": f"sbx-{record.pk}",
                "ConversationID": record.provider_reference,
                "TransactionID": f"SBX{record.pk:07d}",
            }
            if ok:
                result["ResultParameters"] = {
                    "ResultParameter": [
                        {"Key": "TransactionAmount", "Value": int(record.amount)},
                        {"Key": "TransactionReceipt", "Value": f"SBX{record.pk:07d}"},
                        {"Key": "ReceiverPartyPublicName", "Value": f"{phone.lstrip('+')} - Sandbox Customer"},
                    ]
                }
            body = json.dumps({"Result": result}).encode()
        return record.callback_url, body, {}
