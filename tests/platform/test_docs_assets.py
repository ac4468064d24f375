"""The API docs (Swagger UI and ReDoc) load every script, style and font from our own static files: no CDN, no
Google Fonts, so they work offline and leak nothing about who reads them."""

import re

import pytest
from django.test import Client

EXTERNAL = re.compile(r"""(?:src|href)\s*=\s*["'](?:https?:)?//""", re.IGNORECASE)


@pytest.mark.parametrize("path", ["/api/docs/", "/api/redoc/"])
def test_the_docs_pages_load_nothing_from_another_host(path):
    answer = Client().get(path)
    assert answer.status_code == 200
    html = answer.content.decode()
    assert not EXTERNAL.search(html), EXTERNAL.findall(html)
    assert "fonts.googleapis.com" not in html and "cdn." not in html
