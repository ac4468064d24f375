"""What payments tells the apps above it without knowing them."""

from django.dispatch import Signal

# Sent when `manage.py ledger_check` has run, with `discrepancies` (their count). The nightly task's result reaches
# the console through Celery's own signal; this one covers a run by hand.
ledger_checked = Signal()
