from django.db import models


class LedgerCheckRun(models.Model):
    """One finished run of the `payments.ledger_check` task: `ledger_check` itself stores nothing, and staff need
    its last answer on the admin index. Written only by `console.services.record_ledger_check_run`."""

    finished_at = models.DateTimeField(auto_now_add=True, db_index=True)
    discrepancies = models.PositiveIntegerField(
        null=True, blank=True, help_text="How many problems it found; empty when the run itself failed."
    )
    error = models.CharField(max_length=255, blank=True, default="", help_text="Why the run failed, if it did.")
    task_id = models.CharField(max_length=64, blank=True, default="")

    class Meta:
        ordering = ["-finished_at", "-id"]
        get_latest_by = "finished_at"
        # The staff roles' own permissions (the console owns the roles: console/migrations/0002_staff_groups.py);
        # they sit on this model because a permission needs a content type, not because they concern it.
        permissions = [
            ("run_money_corrections", "Can run money corrections (reversals, reviews, KYC, held withdrawals)"),
            ("verify_users", "Can mark users verified"),
            ("suspend_users", "Can suspend users (ends their sessions)"),
        ]

    def __str__(self) -> str:
        if self.discrepancies is None:
            return f"ledger_check failed at {self.finished_at:%Y-%m-%d %H:%M}"
        return f"ledger_check at {self.finished_at:%Y-%m-%d %H:%M}: {self.discrepancies} discrepancies"

    @property
    def balanced(self) -> bool:
        return self.discrepancies == 0
