"""The sandboxes' bank lists: a fixed, realistic set per country (the codes the providers use for these banks), so
the SPA's bank picker and account linking work offline."""

from payments.providers.base import Bank

SANDBOX_BANKS: dict[str, list[Bank]] = {
    "NG": [
        Bank(code="044", name="Access Bank"),
        Bank(code="023", name="Citibank Nigeria"),
        Bank(code="050", name="Ecobank Nigeria"),
        Bank(code="070", name="Fidelity Bank"),
        Bank(code="011", name="First Bank of Nigeria"),
        Bank(code="214", name="First City Monument Bank"),
        Bank(code="058", name="Guaranty Trust Bank"),
        Bank(code="50211", name="Kuda Bank"),
        Bank(code="999992", name="OPay Digital Services Limited (OPay)"),
        Bank(code="999991", name="PalmPay"),
        Bank(code="076", name="Polaris Bank"),
        Bank(code="221", name="Stanbic IBTC Bank"),
        Bank(code="232", name="Sterling Bank"),
        Bank(code="032", name="Union Bank of Nigeria"),
        Bank(code="033", name="United Bank For Africa"),
        Bank(code="035", name="Wema Bank"),
        Bank(code="057", name="Zenith Bank"),
    ],
    "KE": [
        Bank(code="03", name="Absa Bank Kenya"),
        Bank(code="11", name="Co-operative Bank of Kenya"),
        Bank(code="63", name="Diamond Trust Bank"),
        Bank(code="68", name="Equity Bank"),
        Bank(code="70", name="Family Bank"),
        Bank(code="57", name="I&M Bank"),
        Bank(code="01", name="KCB Bank Kenya"),
        Bank(code="07", name="NCBA Bank Kenya"),
        Bank(code="31", name="Stanbic Bank Kenya"),
        Bank(code="02", name="Standard Chartered Bank Kenya"),
    ],
    "GH": [
        Bank(code="030100", name="Absa Bank Ghana"),
        Bank(code="280100", name="Access Bank Ghana"),
        Bank(code="070101", name="ARB Apex Bank"),
        Bank(code="210100", name="Bank of Africa Ghana"),
        Bank(code="130100", name="Ecobank Ghana"),
        Bank(code="240100", name="Fidelity Bank Ghana"),
        Bank(code="040100", name="GCB Bank"),
        Bank(code="190100", name="Stanbic Bank Ghana"),
        Bank(code="020100", name="Standard Chartered Bank Ghana"),
        Bank(code="060100", name="United Bank for Africa Ghana"),
        Bank(code="100100", name="Universal Merchant Bank"),
        Bank(code="120100", name="Zenith Bank Ghana"),
    ],
}
