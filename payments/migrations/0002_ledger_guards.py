"""PostgreSQL guards for the ledger, so no code path (ORM, raw SQL, a console) can break the books.

- A deferred constraint trigger on each new ledger transaction checks, once, at commit, that it has at least two
  entries and that they sum to zero in every currency.
- Entries and ledger transactions are append-only: UPDATE and DELETE are refused.
- Entries may only join a ledger transaction created in the same database transaction (its `created_at` is the
  transaction's start time), so nothing can be added to a committed, already-checked transaction.
SQLite has none of this; the posting service enforces the same rules in Python, and `ledger_check` proves them.
"""

from django.db import migrations

INSTALL = r"""
CREATE FUNCTION payments_check_transaction_balanced() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    entry_count integer;
    unbalanced record;
BEGIN
    SELECT count(*) INTO entry_count FROM payments_ledgerentry WHERE transaction_id = NEW.id;
    IF entry_count < 2 THEN
        RAISE EXCEPTION 'ledger transaction % has % entries; a posting needs at least two', NEW.id, entry_count
            USING ERRCODE = 'check_violation';
    END IF;
    SELECT a.currency, sum(e.amount) AS total INTO unbalanced
        FROM payments_ledgerentry e JOIN payments_ledgeraccount a ON a.id = e.account_id
        WHERE e.transaction_id = NEW.id
        GROUP BY a.currency HAVING sum(e.amount) <> 0
        LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'ledger transaction % does not balance: its % entries sum to %',
            NEW.id, unbalanced.currency, unbalanced.total
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NULL;
END $$;

CREATE CONSTRAINT TRIGGER payments_transaction_balanced
    AFTER INSERT ON payments_ledgertransaction
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION payments_check_transaction_balanced();

CREATE FUNCTION payments_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% on % refused: the ledger is append-only; post a reversal instead', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege';
END $$;

CREATE TRIGGER payments_entry_append_only
    BEFORE UPDATE OR DELETE ON payments_ledgerentry
    FOR EACH STATEMENT EXECUTE FUNCTION payments_refuse_change();

CREATE TRIGGER payments_transaction_append_only
    BEFORE UPDATE OR DELETE ON payments_ledgertransaction
    FOR EACH STATEMENT EXECUTE FUNCTION payments_refuse_change();

CREATE FUNCTION payments_entries_join_new_transactions() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (
        SELECT 1 FROM new_entries e JOIN payments_ledgertransaction t ON t.id = e.transaction_id
        WHERE t.created_at <> CURRENT_TIMESTAMP
    ) THEN
        RAISE EXCEPTION 'entries may only be added to a ledger transaction in the database transaction that created it'
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER payments_entry_joins_new_transaction
    AFTER INSERT ON payments_ledgerentry
    REFERENCING NEW TABLE AS new_entries
    FOR EACH STATEMENT EXECUTE FUNCTION payments_entries_join_new_transactions();
"""

UNINSTALL = r"""
DROP TRIGGER IF EXISTS payments_entry_joins_new_transaction ON payments_ledgerentry;
DROP FUNCTION IF EXISTS payments_entries_join_new_transactions();
DROP TRIGGER IF EXISTS payments_transaction_append_only ON payments_ledgertransaction;
DROP TRIGGER IF EXISTS payments_entry_append_only ON payments_ledgerentry;
DROP FUNCTION IF EXISTS payments_refuse_change();
DROP TRIGGER IF EXISTS payments_transaction_balanced ON payments_ledgertransaction;
DROP FUNCTION IF EXISTS payments_check_transaction_balanced();
"""


def install(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(INSTALL, params=None)


def uninstall(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(UNINSTALL, params=None)


class Migration(migrations.Migration):
    dependencies = [("payments", "0001_initial")]

    operations = [migrations.RunPython(install, uninstall)]
