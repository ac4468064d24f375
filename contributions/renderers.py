"""Statement downloads: `?format=csv` or `?format=pdf` (or the Accept header) on a statement endpoint. An error
answer is still the JSON error shape, and anything else that is not a statement (an OPTIONS description) is JSON."""

import json

from rest_framework.renderers import BaseRenderer
from rest_framework.utils import encoders

from contributions.selectors.statements import statement_csv, statement_pdf


class _StatementRenderer(BaseRenderer):
    def render(self, data, accepted_media_type=None, renderer_context=None):
        response = (renderer_context or {}).get("response")
        is_statement = isinstance(data, dict) and "holder" in data
        if response is not None and (response.status_code >= 400 or not is_statement):
            # an error, or not a statement at all (OPTIONS answers the view's description): JSON, no attachment
            response["Content-Type"] = "application/json"
            return json.dumps(data, cls=encoders.JSONEncoder).encode()
        if response is not None:
            holder = "".join(ch if ch.isalnum() else "-" for ch in data["holder"]).strip("-").lower()
            filename = f"statement-{holder}-{data['start']}-{data['end']}.{self.format}"
            response["Content-Disposition"] = f'attachment; filename="{filename}"'
        return self.encode(data)


class StatementCsvRenderer(_StatementRenderer):
    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def encode(self, data) -> bytes:
        return statement_csv(data).encode()


class StatementPdfRenderer(_StatementRenderer):
    media_type = "application/pdf"
    format = "pdf"
    charset = None
    render_style = "binary"

    def encode(self, data) -> bytes:
        return statement_pdf(data)
