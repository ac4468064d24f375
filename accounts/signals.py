"""What accounts announces for the notifications app to send. Accounts sits below notifications (it cannot call
`notify`), so it sends these signals and `notifications.receivers` turns them into messages.

`user_message`: kwargs `user`, `event` (a name in notifications.catalog), `context` (dict of text), `key` (the cause,
so it is told once; "" for none). `address_message`: kwargs `email`, `event`, `context`, `language`, for an address
with no account behind it."""

from django.dispatch import Signal

user_message = Signal()
address_message = Signal()
