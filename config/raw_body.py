from rest_framework.parsers import BaseParser


class RawBodyParser(BaseParser):
    """Keeps the body as bytes: webhook signatures are computed over the exact bytes the sender sent."""

    media_type = "*/*"

    def parse(self, stream, media_type=None, parser_context=None):
        return stream.read() if stream else b""
