"""The API's contract as the SPA and integrators code against it, reduced to what must never disappear: every
operation, its status codes, and the property names of its request and response bodies (nested objects and
arrays too). Fields and operations may be added; none may be removed or renamed.

`python -m tests.platform.schema_contract` (with DJANGO_SETTINGS_MODULE=config.settings) prints the contract of
the schema today; `--write` saves it as the committed baseline, `schema_baseline.json` beside this file. Only
write it when a removal is intended and announced."""

import json
import sys
from pathlib import Path

BASELINE = Path(__file__).with_name("schema_baseline.json")


def _resolve(schema: dict, components: dict, seen: frozenset = frozenset()) -> dict:
    ref = schema.get("$ref")
    if ref:
        name = ref.rsplit("/", 1)[-1]
        if name in seen:
            return {}
        return _resolve(components.get(name, {}), components, seen | {name})
    for combinator in ("allOf", "oneOf", "anyOf"):
        if combinator in schema and len(schema[combinator]) == 1:
            return _resolve(
                {**schema[combinator][0], **{k: v for k, v in schema.items() if k != combinator}}, components, seen
            )
    return schema


def _fields(schema: dict, components: dict, prefix: str = "", depth: int = 0) -> set[str]:
    """Dotted property names: `movements[].amount`."""
    schema = _resolve(schema, components)
    found: set[str] = set()
    if depth > 6:
        return found
    if schema.get("type") == "array" and "items" in schema:
        return _fields(schema["items"], components, prefix + "[]", depth + 1)
    for name, child in (schema.get("properties") or {}).items():
        path = f"{prefix}.{name}" if prefix else name
        found.add(path)
        found |= _fields(child, components, path, depth + 1)
    return found


def contract(schema: dict) -> dict:
    components = schema.get("components", {}).get("schemas", {})
    operations = {}
    for path, methods in schema["paths"].items():
        for method, operation in methods.items():
            if method not in {"get", "post", "put", "patch", "delete"}:
                continue
            entry = {"statuses": sorted(operation.get("responses", {})), "request": [], "responses": {}}
            body = operation.get("requestBody", {}).get("content", {})
            for media in body.values():
                entry["request"] = sorted(set(entry["request"]) | _fields(media.get("schema", {}), components))
            for status, response in operation.get("responses", {}).items():
                media = response.get("content", {}).get("application/json")
                if media and status.startswith("2"):
                    entry["responses"][status] = sorted(_fields(media.get("schema", {}), components))
            operations[f"{method.upper()} {path}"] = entry
    return dict(sorted(operations.items()))


def removals(baseline: dict, current: dict) -> list[str]:
    """What `current` lost of `baseline`, one line each."""
    lost = []
    for operation, was in baseline.items():
        now = current.get(operation)
        if now is None:
            lost.append(f"{operation}: the operation is gone")
            continue
        lost += [f"{operation}: status {s} is gone" for s in sorted(set(was["statuses"]) - set(now["statuses"]))]
        lost += [f"{operation}: request field {f} is gone" for f in sorted(set(was["request"]) - set(now["request"]))]
        for status, fields in was["responses"].items():
            gone = set(fields) - set(now["responses"].get(status, []))
            lost += [f"{operation}: {status} field {f} is gone" for f in sorted(gone)]
    return lost


def current_schema() -> dict:
    from drf_spectacular.generators import SchemaGenerator

    return SchemaGenerator().get_schema(request=None, public=True)


if __name__ == "__main__":
    import django

    django.setup()
    today = contract(current_schema())
    text = json.dumps(today, indent=1, sort_keys=True) + "\n"
    if "--write" in sys.argv:
        BASELINE.write_text(text)
        print(f"wrote {BASELINE} ({len(today)} operations)")
    else:
        sys.stdout.write(text)
