from typing import Any

from django.core.management.base import BaseCommand, CommandError

from payments.selectors import ledger_discrepancies
from payments.signals import ledger_checked


class Command(BaseCommand):
    help = (
        "Prove the books: balanced transactions, cached balances equal to their entries, nothing negative, and "
        "e-money backed (clearing equals what providers settled, in-flight equals open withdrawals, off-platform "
        "cash never in e-money)."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        problems = ledger_discrepancies()
        for problem in problems:
            self.stderr.write(problem)
        ledger_checked.send(sender=self.__class__, discrepancies=len(problems))
        if problems:
            raise CommandError(f"ledger_check: {len(problems)} discrepancies")
        self.stdout.write(self.style.SUCCESS("ledger_check: the books balance and e-money is backed"))
