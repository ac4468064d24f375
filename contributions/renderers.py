"""Statement downloads: `?format=csv` or `?format=pdf` (or the Accept header) on a statement endpoint. An error
answer is still the JSON error shape, and anything else that is not a statement (an OPTIONS description) is JSON.
Any other `?format=` is a 400 `validation_error` (StatementFormatMixin), not DRF's 404."""

import json

from rest_framework.exceptions import ValidationError
from rest_framework.renderers import BaseRenderer, JSONRenderer
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


class StatementFormatMixin:
    """For a statement view: `?format=` names one of its renderers, or the answer is a 400 `validation_error` (DRF
    answers an unknown format with a 404, as if the statement did not exist). Checked once the caller is known
    (authentication and permissions first), so a signed-out request is still a 401."""

    renderer_classes: list[type[BaseRenderer]]
    _unknown_format = ""

    def perform_content_negotiation(self, request, force=False):
        wanted = request.query_params.get("format", "")
        if wanted and wanted not in {renderer.format for renderer in self.renderer_classes}:
            self._unknown_format = wanted
            return JSONRenderer(), JSONRenderer.media_type
        return super().perform_content_negotiation(request, force)

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        if self._unknown_format:
            formats = ", ".join(renderer.format for renderer in self.renderer_classes)
            raise ValidationError({"format": [f"Choose one of: {formats}."]})
