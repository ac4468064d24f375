"""Tenants' rule conditions: JsonLogic validated on save and compiled once into closures for the ingest hot path.

    validate_rule(rule)             -> None, or RuleError (code, message, path) for the 400 answer
    compiled = compile_rule(rule)   -> CompiledRule; compiled(data) is the value, compiled.is_true(data) the verdict
    required_features(compiled_rules) -> FeatureRequest: what to compute per event into data["features"]

Semantics: panzi-json-logic's (`operators.py`), plus the custom operators of `features.py`.
"""

from loyalty.rules.compiler import (
    ARITY,
    MAX_DEPTH,
    MAX_NODES,
    OPERATORS,
    CompiledRule,
    compile_rule,
    required_features,
    validate_rule,
)
from loyalty.rules.errors import MissingFeatureError, RuleError
from loyalty.rules.features import FEATURES_KEY, FeatureRequest, Features, local_clock
from loyalty.rules.operators import truthy

__all__ = [
    "ARITY",
    "FEATURES_KEY",
    "MAX_DEPTH",
    "MAX_NODES",
    "OPERATORS",
    "CompiledRule",
    "FeatureRequest",
    "Features",
    "MissingFeatureError",
    "RuleError",
    "compile_rule",
    "local_clock",
    "required_features",
    "truthy",
    "validate_rule",
]
