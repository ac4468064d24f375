"""A hot model query built and compiled by the ORM once per process, then sent with new parameter values each time.

Building a queryset (filters, lookups) and compiling it to SQL costs a few hundred microseconds of Python per
statement, more than a round trip to PostgreSQL on this stack; on a request that makes a dozen statements that is
most of its time. The SQL, the converters and the model instances stay the ORM's: only the building is skipped.
"""

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Generic, TypeVar

from django.db import DEFAULT_DB_ALIAS, connections, router
from django.db.models import CharField, DateTimeField, Field, ForeignKey, Model, QuerySet, TextField, UUIDField
from django.db.models.sql.compiler import SQLCompiler

M = TypeVar("M", bound=Model)


@dataclass(frozen=True)
class CompiledSelect(Generic[M]):
    """The SQL and parameters of one queryset (whole model rows, or a `values_list`); `slots` says which parameters
    a run replaces, and as which field."""

    model: type[M]
    sql: str
    params: tuple[Any, ...]
    slots: tuple[tuple[int, "Field[Any, Any]"], ...]
    attnames: tuple[str, ...]  # empty for a values_list
    compiler: SQLCompiler
    converters: dict[int, tuple[list[Callable[..., Any]], Any]]

    @classmethod
    def compile(cls, queryset: "QuerySet[M, Any]", *slots: tuple["Field[Any, Any]", Any]) -> "CompiledSelect[M]":
        """`queryset` built with a distinct marker value for each argument; `slots` gives (field, marker) for each,
        in the order `rows` takes them. Each marker must appear exactly once among the compiled parameters (the
        rest are the query's constants), else the query's shape is not what the caller thinks and this raises."""
        query = queryset.query
        if query.select_related or query.annotations or query.deferred_loading != (frozenset(), True):
            raise ValueError("A compiled select reads columns of one model: no select_related, annotate or only.")
        connection = connections[DEFAULT_DB_ALIAS]
        compiler = query.get_compiler(DEFAULT_DB_ALIAS)
        sql, params = compiler.as_sql()
        attnames: tuple[str, ...] = ()
        if not query.values_select:
            attnames = tuple(field.attname for field in queryset.model._meta.concrete_fields)
            if [column.target.attname for column, _, _ in compiler.select] != list(attnames):
                raise ValueError(f"{sql!r} does not select the model's columns in their order")
        positions = []
        for field, marker in slots:
            prepared = field.get_db_prep_value(marker, connection)
            found = [index for index, param in enumerate(params) if param == prepared]
            if len(found) != 1:
                raise ValueError(f"{marker!r} appears {len(found)} times among the parameters of {sql!r}")
            positions.append((found[0], field))
        converters = compiler.get_converters([column for column, _, _ in compiler.select])
        return cls(
            model=queryset.model,
            sql=sql,
            params=tuple(params),
            slots=tuple(positions),
            attnames=attnames,
            compiler=compiler,
            converters=converters,
        )

    def tuples(self, *values: Any) -> list[tuple[Any, ...]]:
        """The selected columns of each row for `values` (one per slot, as the ORM's filter would take them), as the
        ORM's converters leave them."""
        return self._fetch(values)[1]

    def rows(self, *values: Any) -> list[M]:
        """The model instances for `values`."""
        if not self.attnames:
            raise TypeError("a values_list select has no model instances; use tuples()")
        alias, fetched = self._fetch(values)
        return [self.model.from_db(alias, self.attnames, row) for row in fetched]

    def _fetch(self, values: tuple[Any, ...]) -> tuple[str, list[tuple[Any, ...]]]:
        # Routed as the ORM routes a read (a replica outside a transaction); the SQL is the same on every alias.
        alias = router.db_for_read(self.model)
        connection = connections[alias]
        params: list[Any] = list(self.params)
        for (index, field), value in zip(self.slots, values, strict=True):
            params[index] = field.get_db_prep_value(value, connection)
        with connection.cursor() as cursor:
            cursor.execute(self.sql, params)
            fetched: list[tuple[Any, ...]] = cursor.fetchall()
        if self.converters:
            fetched = [tuple(row) for row in self.compiler.apply_converters(fetched, self.converters)]
        return alias, fetched

    def first(self, *values: Any) -> M | None:
        found = self.rows(*values)
        return found[0] if found else None


@dataclass(frozen=True)
class CompiledStatement:
    """SQL and parameters built once by a function of named arguments (ORM querysets inside, raw SQL around them).

    The arguments' places are found by building the statement with two unlike sets of markers: the parameters that
    differ are where the arguments go. A builder that uses an argument in a form that cannot be replayed (a date
    taken from a moment, a pattern made from a string) differs elsewhere, or changes the SQL, and is refused."""

    sql: str
    params: tuple[Any, ...]
    slots: tuple[tuple[int, str], ...]
    fields: dict[str, "Field[Any, Any]"]

    @classmethod
    def compile(
        cls, build: Callable[..., tuple[str, Sequence[Any]]], fields: dict[str, "Field[Any, Any]"]
    ) -> "CompiledStatement":
        """`build(**arguments)` gives (sql, params); `fields` names, for each argument, the model field it is
        prepared as for the database (as the ORM prepares a value for that field)."""
        statement = cls(sql="", params=(), slots=(), fields=fields)
        first, second = ({name: _marker(field, position, variant) for position, (name, field) in
                          enumerate(fields.items())} for variant in (0, 1))  # fmt: skip
        sql, params = build(**first)
        sql_again, params_again = build(**second)
        if sql != sql_again or len(params) != len(params_again):
            raise ValueError(f"the statement's SQL changes with its arguments: {sql!r}")
        markers = (statement._prepared(first), statement._prepared(second))
        slots = []
        for index, (one, other) in enumerate(zip(params, params_again, strict=True)):
            if one == other:
                continue
            name = next((key for key, value in markers[0].items() if value == one), None)
            if name is None or markers[1][name] != other:
                raise ValueError(f"the statement uses its arguments in a form that cannot be replayed: {sql!r}")
            slots.append((index, name))
        return cls(sql=sql, params=tuple(params), slots=tuple(slots), fields=fields)

    def parameters(self, **arguments: Any) -> list[Any]:
        """The params for these arguments."""
        prepared = self._prepared(arguments)
        filled = list(self.params)
        for index, name in self.slots:
            filled[index] = prepared[name]
        return filled

    def _prepared(self, arguments: dict[str, Any]) -> dict[str, Any]:
        connection = connections[DEFAULT_DB_ALIAS]
        return {name: self.fields[name].get_db_prep_value(value, connection) for name, value in arguments.items()}


def _marker(field: "Field[Any, Any]", position: int, variant: int) -> Any:
    """A stand-in for the argument at `position`: unlike every other argument's, and unlike in every part from the
    other variant's (every character of a string, every part of a moment), so no reshaping of it goes unseen."""
    target = field.target_field if isinstance(field, ForeignKey) else field
    if isinstance(target, UUIDField):
        return uuid.uuid4()
    if isinstance(target, DateTimeField):
        return datetime(1901 + position + 50 * variant, 2 + variant, 3 + variant, 4 + variant, 5 + variant,
                        6 + variant, 7 + position + 100 * variant, tzinfo=UTC)  # fmt: skip
    if isinstance(target, CharField | TextField):
        return chr(ord("a" if variant == 0 else "n") + position) * 8
    raise TypeError(f"no marker for a {type(target).__name__} argument")
