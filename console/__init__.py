"""The finance-staff console: the admin's "what needs me today" index and the money dashboard.

It reads every product app (payments, groups, contributions, billpay), so it sits above them all and nothing
imports it; it owns one table, the record of `ledger_check` runs."""
