"""Why a rule was refused at save time (`RuleError`, shown to the tenant in the 400 answer) and why an evaluation
could not run (`MissingFeatureError`: the caller's bug, never the tenant's).

`RuleError` carries where the problem is (`path`, e.g. `and[1].>=`) apart from what it is (`message`), so an API
can show both and a rule editor can highlight the node; `code` is the stable, machine-readable kind.
"""

from typing import Final

UNKNOWN_OPERATOR: Final = "unknown_operator"
ARITY: Final = "arity"
NOT_JSON: Final = "not_json"
TOO_DEEP: Final = "too_deep"
TOO_LARGE: Final = "too_large"
NOT_LITERAL: Final = "not_literal"
BAD_ARGUMENT: Final = "bad_argument"
WRONG_SCOPE: Final = "wrong_scope"
RESERVED: Final = "reserved"


class RuleError(ValueError):
    """A rule that must not be saved: the message names the operator and the problem; `path` says where."""

    def __init__(self, code: str, message: str, path: str = "") -> None:
        self.code = code
        self.message = message
        self.path = path
        super().__init__(f"{message} (at {path})" if path else message)


class MissingFeatureError(LookupError):
    """A custom operator found no value in `data["features"]`: the caller did not compute what
    `required_features()` asked for. Raised at evaluation, so ingest fails loudly instead of scoring 0."""
