"""Row-level security on every loyalty table (PostgreSQL only; SQLite has none, and the services filter by tenant
anyway). ENABLEd and FORCEd, so the tables' owner is held to the policy too; superusers and BYPASSRLS roles are not,
which is why the app connects as an ordinary role.

A row is visible and writable when its tenant is the transaction's `app.tenant_id` (set with
`set_config(..., true)` by `loyalty.tenancy`), or while `app.all_tenants` is 'on' (finance staff in the admin, and
jobs listing tenants before they work inside each one). Staff rows are also visible to their own user
(`app.user_id`), and a tenant to its staff, so a user can list the tenants they belong to. `NULLIF(..., '')`: after
any transaction that set it, an unset setting reads '' rather than NULL."""

from django.db import migrations

TENANT = "NULLIF(current_setting('app.tenant_id', true), '')::uuid"
USER = "NULLIF(current_setting('app.user_id', true), '')::uuid"
ALL = "current_setting('app.all_tenants', true) = 'on'"

SCOPED = [
    "loyalty_tenantstaff",
    "loyalty_apikey",
    "loyalty_customer",
    "loyalty_event",
    "loyalty_campaign",
    "loyalty_budget",
    "loyalty_reward",
    "loyalty_vouchercode",
    "loyalty_rule",
    "loyalty_issuance",
    "loyalty_issuancetransition",
    "loyalty_pointsentry",
]


def _policies() -> list[tuple[str, str]]:
    """(table, the condition a row must meet)."""
    own = f"tenant_id = {TENANT} OR {ALL}"
    policies = [(table, own) for table in SCOPED if table != "loyalty_tenantstaff"]
    policies.append(("loyalty_tenantstaff", f"{own} OR user_id = {USER}"))
    policies.append(
        (
            "loyalty_tenant",
            f"id = {TENANT} OR {ALL} OR id IN (SELECT s.tenant_id FROM loyalty_tenantstaff s WHERE s.user_id = {USER})",
        )
    )
    return policies


def enable(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table, condition in _policies():
        schema_editor.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
        schema_editor.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
        schema_editor.execute(
            f"CREATE POLICY tenant_isolation ON {table} USING ({condition}) WITH CHECK ({condition})"
        )


def disable(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table, _ in _policies():
        schema_editor.execute(f"DROP POLICY IF EXISTS tenant_isolation ON {table}")
        schema_editor.execute(f"ALTER TABLE {table} NO FORCE ROW LEVEL SECURITY")
        schema_editor.execute(f"ALTER TABLE {table} DISABLE ROW LEVEL SECURITY")


class Migration(migrations.Migration):
    dependencies = [("loyalty", "0001_initial")]

    operations = [migrations.RunPython(enable, disable)]
