from django.conf import settings
from django.db import connections


class PrimaryReplicaRouter:
    """Reads go to the replica when one is configured, writes to the primary.

    Inside a transaction on the primary every read stays there: a `select_for_update()` or a read that must see
    the transaction's own writes can never be answered by a lagging replica.
    """

    def db_for_read(self, model, **hints):
        if "replica" not in settings.DATABASES or connections["default"].in_atomic_block:
            return "default"
        return "replica"

    def db_for_write(self, model, **hints):
        return "default"

    def allow_relation(self, obj1, obj2, **hints):
        return True

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return db == "default"
