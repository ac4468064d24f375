"""WebhookDelivery and ProcessedEvent moved from payments to core keeping their tables: a row written before the
move is read through core's model, and the content types, with the staff permissions on them, follow."""

import pytest
from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from core.models import ProcessedEvent, WebhookDelivery

PAYMENTS_BEFORE = ("payments", "0006_cash_book_account_kinds")


def migrate(targets: list[tuple[str, str | None]] | None = None) -> MigrationExecutor:
    executor = MigrationExecutor(connection)
    executor.migrate(targets or executor.loader.graph.leaf_nodes())
    ContentType.objects.clear_cache()
    return executor


@pytest.mark.django_db(transaction=True)
def test_rows_and_permissions_from_before_the_move_are_cores():
    permission = Permission.objects.get(codename="view_webhookdelivery")
    try:
        old = migrate([PAYMENTS_BEFORE, ("core", None)]).loader.project_state(PAYMENTS_BEFORE).apps
        assert ContentType.objects.get(pk=permission.content_type_id).app_label == "payments"
        ContentType.objects.create(app_label="core", model="webhookdelivery")  # as a post_migrate in between would
        old.get_model("payments", "WebhookDelivery").objects.create(
            provider="paystack", headers={"content-type": "application/json"}, body="{}", outcome="credited"
        )
        old.get_model("payments", "ProcessedEvent").objects.create(
            provider="paystack", event_id="charge.success:1", outcome="processed"
        )
    finally:
        migrate()
    delivery = WebhookDelivery.objects.get()
    assert (delivery.provider, delivery.body, delivery.outcome) == ("paystack", "{}", "credited")
    assert ProcessedEvent.objects.filter(provider="paystack", event_id="charge.success:1").exists()
    moved = Permission.objects.get(codename="view_webhookdelivery")
    assert (moved.pk, moved.content_type.app_label) == (permission.pk, "core")
    assert not ContentType.objects.filter(app_label="payments", model__in=["webhookdelivery", "processedevent"])
