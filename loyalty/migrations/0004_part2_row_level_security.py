"""Row-level security on the part-2 tables, the same policy as every other loyalty table (migration 0002):
a row is visible and writable in its tenant's transaction, or while `app.all_tenants` is on."""

from django.db import migrations

TENANT = "NULLIF(current_setting('app.tenant_id', true), '')::uuid"
ALL = "current_setting('app.all_tenants', true) = 'on'"

TABLES = [
    "loyalty_tier",
    "loyalty_tierchange",
    "loyalty_referral",
    "loyalty_consentrecord",
    "loyalty_whatsappconversation",
    "loyalty_whatsappmessage",
    "loyalty_ussdsession",
    "loyalty_webhookendpoint",
    "loyalty_webhookmessage",
    "loyalty_endpointdelivery",
    "loyalty_deliveryattempt",
    "loyalty_dailystats",
]


def enable(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    condition = f"tenant_id = {TENANT} OR {ALL}"
    for table in TABLES:
        schema_editor.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
        schema_editor.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
        schema_editor.execute(
            f"CREATE POLICY tenant_isolation ON {table} USING ({condition}) WITH CHECK ({condition})"
        )


def disable(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table in TABLES:
        schema_editor.execute(f"DROP POLICY IF EXISTS tenant_isolation ON {table}")
        schema_editor.execute(f"ALTER TABLE {table} NO FORCE ROW LEVEL SECURITY")
        schema_editor.execute(f"ALTER TABLE {table} DISABLE ROW LEVEL SECURITY")


class Migration(migrations.Migration):
    dependencies = [("loyalty", "0003_part2_channels_tiers_referrals_webhooks")]

    operations = [migrations.RunPython(enable, disable)]
