from typing import Any

from rest_framework.parsers import BaseParser


class CsvBodyParser(BaseParser):
    """A `text/csv` body kept as bytes (voucher codes, one a line)."""

    media_type = "text/csv"

    # bytes, not a mapping: the codes are read as they came (the stubs expect parsed data)
    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> bytes:  # type: ignore[override]
        return stream.read() if stream else b""
