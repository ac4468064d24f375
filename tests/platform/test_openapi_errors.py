"""Each documented error response's example shows a real code, one README's error table lists with that status, so
an integrator reading Swagger or ReDoc sees the answer they will get (not `validation_error` on every 401)."""

import re
from pathlib import Path

import pytest
from jsonschema import Draft4Validator

from config.schema import error_catalog, error_example

pytestmark = pytest.mark.django_db

README = Path(__file__).resolve().parents[2] / "README.md"


def readme_error_codes() -> dict[str, set[str]]:
    """README's error table: each code and the statuses it is listed with."""
    codes: dict[str, set[str]] = {}
    for code, status in re.findall(r"^\| `([a-z0-9_]+)` \| (\d{3}) \|", README.read_text(), re.MULTILINE):
        codes.setdefault(code, set()).add(status)
    return codes


@pytest.fixture(scope="module")
def schema(django_db_blocker):
    from drf_spectacular.generators import SchemaGenerator

    with django_db_blocker.unblock():
        return SchemaGenerator().get_schema(request=None, public=True)


def error_responses(schema):
    for path, methods in schema["paths"].items():
        for method, operation in methods.items():
            for status, response in operation.get("responses", {}).items():
                if status[0] in "45":
                    yield f"{method.upper()} {path} {status}", status, response


def test_every_error_example_shows_a_listed_code_of_its_status(schema):
    listed = readme_error_codes()
    assert {"validation_error", "not_authenticated", "throttled", "server_error"} <= set(listed)
    shape = Draft4Validator(schema["components"]["schemas"]["Error"])
    seen = 0
    for where, status, response in error_responses(schema):
        media = response["content"]["application/json"]
        if status == "414":  # gunicorn's own HTML page; the server never answers it in JSON
            assert "example" not in media, where
            continue
        example = media.get("example")
        assert example is not None, f"{where} has no example"
        shape.validate(example)
        code = example["error"]["code"]
        assert code in listed, f"{where}: example code {code} is not in README's error table"
        assert status in listed[code], f"{where}: {code} is listed with {listed[code]}, not {status}"
        assert example["error"]["message"], where
        seen += 1
    assert seen > 100


@pytest.mark.parametrize(
    ("status", "code"),
    [("401", "not_authenticated"), ("403", "permission_denied"), ("429", "throttled"), ("500", "server_error")],
)
def test_the_generic_errors_show_their_own_code(schema, status, code):
    shown = {
        response["content"]["application/json"]["example"]["error"]["code"]
        for _where, found, response in error_responses(schema)
        if found == status
    }
    assert code in shown
    assert "validation_error" not in shown


def test_an_operation_that_names_its_codes_shows_the_first_of_that_status(schema):
    join = schema["paths"]["/api/v1/groups/join/"]["post"]["responses"]
    assert join["409"]["content"]["application/json"]["example"]["error"]["code"] == "already_member"
    assert join["404"]["content"]["application/json"]["example"]["error"]["code"] == "invite_code_invalid"
    login = schema["paths"]["/api/v1/auth/login/"]["post"]["responses"]
    assert login["429"]["content"]["application/json"]["example"]["error"]["code"] == "account_locked"


def test_a_code_named_with_another_status_is_not_shown(schema):
    catalog = error_catalog()
    example = error_example("400", "`pin_locked` or a bad field.", catalog)
    assert example is not None and example["error"]["code"] == "validation_error"
    assert error_example("414", "Too long.", catalog) is None


def test_readme_lists_each_code_with_the_status_the_server_answers(schema):
    listed = readme_error_codes()
    for code, (statuses, _message) in error_catalog().items():
        assert code in listed, f"README.md's error table lacks {code}"
        assert statuses <= listed[code], f"{code} answers {statuses}; README lists {listed[code]}"
