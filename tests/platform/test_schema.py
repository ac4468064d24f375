import re

import pytest
from django.core.management import call_command

pytestmark = pytest.mark.django_db

APP_TAGS = {"platform", "accounts", "groups", "contributions", "payments", "billpay", "loyalty", "notifications"}


@pytest.fixture(scope="module")
def schema(django_db_blocker):
    from drf_spectacular.generators import SchemaGenerator

    with django_db_blocker.unblock():
        return SchemaGenerator().get_schema(request=None, public=True)


def test_schema_validates_without_warnings(tmp_path):
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "schema.yml"))


def test_every_operation_has_summary_tag_and_error_responses(schema):
    operations = [(path, method, op) for path, methods in schema["paths"].items() for method, op in methods.items()]
    assert operations
    for path, method, op in operations:
        where = f"{method.upper()} {path}"
        assert op.get("summary"), f"{where} has no summary"
        assert len(op["tags"]) == 1 and op["tags"][0] in APP_TAGS, where
        assert {"429", "500"} <= set(op["responses"]), where
        for code, response in op["responses"].items():
            if code[0] in "45":
                assert response["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/Error"}
        if op.get("security") and {} not in op["security"]:
            assert {"401", "403"} <= set(op["responses"]), where
        if "requestBody" in op:
            assert "400" in op["responses"], where


def test_everything_is_under_api_v1(schema):
    assert all(path.startswith("/api/v1/") for path in schema["paths"])


@pytest.mark.parametrize("page", ["/api/docs/", "/api/redoc/"])
def test_docs_are_served_from_local_static_files(client, page):
    response = client.get(page)
    assert response.status_code == 200
    html = response.content.decode()
    assert not re.search(r"https?://(?!127\.0\.0\.1|localhost|testserver)[^\"' ]+\.(js|css)", html)
    for asset in re.findall(r"(?:src|href)=\"(/static/[^\"]+)\"", html):
        assert client.get(asset).status_code == 200, asset


def test_schema_endpoint(client):
    response = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    assert response.json()["openapi"].startswith("3.")


def test_the_schema_is_generated_without_touching_the_database(client, django_assert_num_queries):
    """The fuzzer loads the schema while tests are collected, before the test database exists: a query there would
    open a connection to the real database (and once broke the test database's setup)."""
    with django_assert_num_queries(0):
        assert client.get("/api/schema/").status_code == 200
