"""Precompiled SQL for the few statements of a hot path (intake runs them for every message).

The ORM builds and compiles a statement on every call, which costs more CPU than the round
trip to the database. These helpers build a model's INSERT, UPDATE and column list once per
(model, database alias) and keep the ORM's semantics where it matters:

- values go through each field's pre_save() and get_db_prep_save(), so auto_now fields,
  datetimes, JSON and booleans are stored as Model.save() and QuerySet.update() store them;
- rows come back through the backend's and the field's converters (as the compiler applies
  them) into Model.from_db(), so instances are the ones the ORM would give.

On PostgreSQL they bind parameters on the server (see _cursor()), whatever the connection's
own setting. They send no model signals (Caseway uses none) and know no inheritance or
database defaults. Write the query itself in the app that owns it; use the ORM everywhere else.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from typing import Any, TypeVar

from django.conf import settings
from django.db import DatabaseError, NotSupportedError, connections, router
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.backends.utils import CursorDebugWrapper, CursorWrapper
from django.db.models import NOT_PROVIDED, Field, Model
from django.db.models.expressions import Col

from caseway.core.write_batch import ATTRIBUTE, Later, WriteBatch

M = TypeVar("M", bound=Model)
Converter = Callable[[Any, Any, Any], Any]


def quote(name: str, using: str) -> str:
    """A table or column name quoted for the database of `using`."""
    return connections[using].ops.quote_name(name)


@cache
def table(model: type[Model], using: str) -> str:
    """The quoted table name of `model`."""
    return quote(model._meta.db_table, using)


@cache
def columns(model: type[Model], alias: str, using: str) -> str:
    """Every concrete column of `model`, qualified by the table alias, in Model.from_db order.

    Read the row back with RowReader.
    """
    return ", ".join(f"{alias}.{quote(f.column, using)}" for f in model._meta.concrete_fields)


@dataclass(frozen=True)
class _Loader:
    attnames: tuple[str, ...]
    pk_index: int
    converters: tuple[tuple[int, tuple[Converter, ...], Col], ...]


@cache
def _loader(model: type[Model], using: str) -> _Loader:
    connection = connections[using]
    fields = model._meta.concrete_fields
    converters = []
    for index, field in enumerate(fields):
        col = field.cached_col
        found = connection.ops.get_db_converters(col) + col.get_db_converters(connection)
        if found:
            converters.append((index, tuple(found), col))
    pk_index = fields.index(_pk(model))
    return _Loader(tuple(f.attname for f in fields), pk_index, tuple(converters))


class RowReader:
    """Reads the instances of a joined row, model after model, in the order of the columns()
    lists of the SELECT."""

    def __init__(self, row: Sequence[Any], using: str) -> None:
        self.row = row
        self.using = using
        self.position = 0

    def load(self, model: type[M]) -> M:
        instance = self._next(model)
        assert instance is not None, f"no {model._meta.label} in the row"
        return instance

    def load_or_none(self, model: type[M]) -> M | None:
        """For the columns of a LEFT JOIN: None when the row had no match."""
        return self._next(model)

    def _next(self, model: type[M]) -> M | None:
        loader = _loader(model, self.using)
        start = self.position
        self.position += len(loader.attnames)
        values = list(self.row[start : self.position])
        if values[loader.pk_index] is None:
            return None
        if loader.converters:
            connection = connections[self.using]
            for index, converters, col in loader.converters:
                value = values[index]
                for convert in converters:
                    value = convert(value, col, connection)
                values[index] = value
        return model.from_db(self.using, loader.attnames, values)


def _cursor(connection: BaseDatabaseWrapper) -> CursorWrapper:
    """A cursor of the connection, binding parameters on the server on PostgreSQL.

    Django binds them on the client by default: every message's texts then travel as escaped
    literals that psycopg builds and PostgreSQL parses again. Server-side binding sends them
    as they are. Only these simple statements use it; the rest of the project keeps the
    connection's setting (some ORM queries fail with server-side binding). Prepared
    statements follow the connection's prepare_threshold (settings: PG_PREPARE_THRESHOLD,
    5 by default, `off` behind a transaction-mode pooler); only these cursors can use them.
    The cursor is wrapped as connection.cursor() wraps its own, so execute_wrappers and query
    capture see every statement.

    One psycopg cursor serves every statement of a connection: a cursor keeps the dumpers and
    loaders it has looked up for each type, which a new cursor per statement looked up again
    for every parameter (a tenth of intake's CPU).
    """
    if connection.vendor != "postgresql":
        return connection.cursor()
    import psycopg

    connection.ensure_connection()
    connection.validate_thread_sharing()
    raw: Any = getattr(connection, KEPT_CURSOR, None)
    if raw is None or raw.closed or raw.connection is not connection.connection:
        raw = psycopg.Cursor(connection.connection)
        if settings.USE_TZ and connection.timezone_name == "UTC":
            # psycopg's own loader, in C, for the timestamps of these statements: Django's
            # subclass (it sets Django's UTC tzinfo) parses them in Python. Both give aware
            # datetimes in UTC.
            from psycopg.types.datetime import TimestamptzLoader

            raw.adapters.register_loader("timestamptz", TimestamptzLoader)
        setattr(connection, KEPT_CURSOR, raw)
    if connection.queries_logged:
        return _KeptDebugCursor(raw, connection)
    return _KeptCursor(raw, connection)


KEPT_CURSOR = "caseway_kept_cursor"


class _Kept:
    """Leaves the psycopg cursor open at the end of its `with` block, for the next statement
    (its results are read by then; the next execute() replaces them)."""

    def __exit__(self, *exc_info: object) -> None:
        return None


class _KeptCursor(_Kept, CursorWrapper):
    pass


class _KeptDebugCursor(_Kept, CursorDebugWrapper):
    pass


@contextmanager
def together(using: str) -> Iterator[None]:
    """Send the writes of this block to the database in as few statements as it can take.

    On PostgreSQL, insert_many() without keys and save_fields() wait and travel with the
    next insert() that returns a key, as one statement of data-modifying WITH queries
    (caseway.core.write_batch); any other statement first sends what waits. Elsewhere every
    write runs at once. Must run inside the transaction the writes belong to; a nested block
    joins the outer one.
    """
    connection = connections[using]
    if connection.vendor != "postgresql" or getattr(connection, ATTRIBUTE, None) is not None:
        yield
        return
    if not connection.in_atomic_block:
        raise NotSupportedError("sql.together() needs a transaction (transaction.atomic())")
    batch = WriteBatch(connection, _cursor)
    setattr(connection, ATTRIBUTE, batch)
    try:
        with connection.execute_wrapper(batch.guard):
            yield
            batch.send()
    finally:
        setattr(connection, ATTRIBUTE, None)


def _batch(connection: BaseDatabaseWrapper) -> WriteBatch | None:
    batch: WriteBatch | None = getattr(connection, ATTRIBUTE, None)
    return batch


def fetch_all(sql: str, params: Sequence[Any], using: str) -> list[tuple[Any, ...]]:
    """Run one statement and return all its rows."""
    with _cursor(connections[using]) as cursor:
        cursor.execute(sql, params)
        return list(cursor.fetchall())


def fetch_one(sql: str, params: Sequence[Any], using: str) -> tuple[Any, ...] | None:
    """Run one statement and return its first row, or None. Inside together() on
    PostgreSQL, a read carries the inserts of insert_soon() that wait (in one statement; it
    does not see their rows); other waiting writes are sent before it."""
    connection = connections[using]
    batch = _batch(connection)
    if batch is not None and batch.carries_reads():
        return batch.carry_read(sql, params)
    with _cursor(connection) as cursor:
        cursor.execute(sql, params)
        row: tuple[Any, ...] | None = cursor.fetchone()
    return row


def _field(model: type[Model], name: str) -> Field[Any, Any]:
    field = model._meta.get_field(name)
    if not isinstance(field, Field) or not field.concrete:
        raise NotSupportedError(f"{model._meta.label}.{name} is not a concrete field")
    return field


def _pk(model: type[Model]) -> Field[Any, Any]:
    pk = model._meta.pk
    assert pk is not None
    return pk


def _column(field: Field[Any, Any], using: str) -> str:
    assert field.column is not None
    return quote(field.column, using)


@dataclass(frozen=True)
class _Statement:
    sql: str
    fields: tuple[Field[Any, Any], ...]
    pk: Field[Any, Any]


@cache
def _insert(model: type[Model], on_conflict: tuple[str, ...], using: str) -> _Statement:
    connection = connections[using]
    meta = model._meta
    if meta.parents or not connection.features.can_return_columns_from_insert:
        raise NotSupportedError(f"sql.insert() cannot insert {meta.label} on {using}")
    fields = tuple(f for f in meta.local_concrete_fields if f is not meta.auto_field)
    if any(f.generated or f.db_default is not NOT_PROVIDED for f in fields):
        raise NotSupportedError(f"sql.insert() does not know database defaults ({meta.label})")
    names = ", ".join(_column(f, using) for f in fields)
    values = ", ".join(["%s"] * len(fields))
    conflict = ""
    if on_conflict:
        targets = ", ".join(_column(_field(model, name), using) for name in on_conflict)
        conflict = f" ON CONFLICT ({targets}) DO NOTHING"
    sql = (
        f"INSERT INTO {table(model, using)} ({names}) VALUES ({values})"  # noqa: S608
        f"{conflict} RETURNING {_column(_pk(model), using)}"
    )
    return _Statement(sql, fields, _pk(model))


def insert(obj: M, *, on_conflict: Sequence[str] = (), using: str | None = None) -> M | None:
    """INSERT a new instance as Model.save() would and set its primary key; return it.

    With `on_conflict` (the fields of a unique constraint), a row that already exists is left
    alone and None is returned instead (INSERT ... ON CONFLICT DO NOTHING). Related objects
    must already be saved.
    """
    using = using or router.db_for_write(type(obj), instance=obj)
    connection = connections[using]
    statement = _insert(type(obj), tuple(on_conflict), using)
    params = _insert_values(obj, statement, connection)
    batch = _batch(connection)
    if batch is not None and not on_conflict:
        # The writes waiting in sql.together() travel with this one.
        row = batch.carry(statement.sql, params)
    else:
        with _cursor(connection) as cursor:
            cursor.execute(statement.sql, params)
            row = cursor.fetchone()
    return _saved(obj, row[0] if row is not None else None, using)


def _insert_values(obj: Model, statement: _Statement, connection: BaseDatabaseWrapper) -> list[Any]:
    """A new instance's values for its INSERT, as Model.save() prepares them."""
    return [f.get_db_prep_save(f.pre_save(obj, True), connection) for f in statement.fields]


def _saved(obj: M, pk: Any, using: str) -> M | None:
    if pk is None:
        return None
    obj.pk = pk
    obj._state.adding = False
    obj._state.db = using
    return obj


def insert_soon(
    obj: M, *, on_conflict: Sequence[str] = (), using: str | None = None
) -> Callable[[], M | None]:
    """insert(), except that inside together() on PostgreSQL the INSERT waits for the next
    statement, which carries it (a fetch_one(): one round trip for both, and that read does
    not see the new row). Call the function it returns, once that statement has run, for
    what insert() would have returned."""
    using = using or router.db_for_write(type(obj), instance=obj)
    connection = connections[using]
    batch = _batch(connection)
    if batch is None:
        inserted = insert(obj, on_conflict=on_conflict, using=using)
        return lambda: inserted
    statement = _insert(type(obj), tuple(on_conflict), using)
    params = _insert_values(obj, statement, connection)
    later = Later()
    batch.defer(statement.sql, params, later=later)

    def inserted_soon() -> M | None:
        if not later.sent:
            batch.send()
        return _saved(obj, later.key, using)

    return inserted_soon


@cache
def _insert_many(model: type[Model], count: int, returning: bool, using: str) -> _Statement:
    """On PostgreSQL one array per column (`SELECT * FROM unnest(...)`, as bulk_create() does
    there): the statement stays short and the same for any number of rows, so psycopg and
    PostgreSQL do not parse thousands of placeholders. The arrays travel in binary (`%b`):
    as text, PostgreSQL parses long escaped elements (JSON) three times slower than the
    VALUES form. Elsewhere a VALUES row per object."""
    connection = connections[using]
    meta = model._meta
    fields = tuple(f for f in meta.local_concrete_fields if f is not meta.auto_field)
    if meta.parents or any(f.generated or f.db_default is not NOT_PROVIDED for f in fields):
        raise NotSupportedError(f"sql.insert_many() cannot insert {meta.label}")
    if returning and not connection.features.can_return_rows_from_bulk_insert:
        raise NotSupportedError(f"sql.insert_many() cannot return keys on {using}")
    names = ", ".join(_column(f, using) for f in fields)
    if connection.vendor == "postgresql":
        arrays = ", ".join(f"%b::{f.db_type(connection)}[]" for f in fields)
        rows = f"SELECT * FROM unnest({arrays})"  # noqa: S608
    else:
        row = "(" + ", ".join(["%s"] * len(fields)) + ")"
        rows = f"VALUES {', '.join([row] * count)}"
    sql = f"INSERT INTO {table(model, using)} ({names}) {rows}"
    if returning:
        sql += f" RETURNING {_column(_pk(model), using)}"
    return _Statement(sql, fields, _pk(model))


def _by_column(rows: list[list[Any]]) -> list[list[Any]]:
    return [list(column) for column in zip(*rows, strict=True)]


def insert_many(
    objs: Sequence[Model], *, return_pks: bool = False, using: str | None = None
) -> None:
    """INSERT new instances of one model in one statement, as bulk_create() would. Their
    primary keys stay None unless `return_pks` (RETURNING, read back in the order of the
    rows, as bulk_create() reads them). Without keys, inside together() on PostgreSQL, the
    INSERT waits for the next statement."""
    if not objs:
        return
    model = type(objs[0])
    using = using or router.db_for_write(model)
    connection = connections[using]
    postgres = connection.vendor == "postgresql"
    statement = _insert_many(model, 0 if postgres else len(objs), return_pks, using)
    rows = [_insert_values(obj, statement, connection) for obj in objs]
    params = _by_column(rows) if postgres else [value for row in rows for value in row]
    batch = _batch(connection)
    if batch is not None and not return_pks:
        batch.defer(statement.sql, params)
        return
    with _cursor(connection) as cursor:
        cursor.execute(statement.sql, params)
        if return_pks:
            for obj, (pk,) in zip(objs, cursor.fetchall(), strict=True):
                obj.pk = pk
                obj._state.adding = False
                obj._state.db = using


def date_param(value: Any, using: str) -> Any:
    """A date as the database of `using` takes it in a raw statement."""
    return connections[using].ops.adapt_datefield_value(value)


@cache
def _update(model: type[Model], names: tuple[str, ...], using: str) -> _Statement:
    fields = tuple(_field(model, name) for name in names)
    sets = ", ".join(f"{_column(f, using)} = %s" for f in fields)
    pk = _pk(model)
    sql = f"UPDATE {table(model, using)} SET {sets} WHERE {_column(pk, using)} = %s"  # noqa: S608
    return _Statement(sql, fields, pk)


UPDATE_MISSED = "Save with update_fields did not affect any rows."


def save_fields(obj: Model, fields: Sequence[str], *, using: str | None = None) -> None:
    """Write `fields` of a saved instance, as obj.save(update_fields=fields) would.

    auto_now fields among them get the current time, on the instance too. Raises
    DatabaseError when the row is gone, as save() does (inside together() on PostgreSQL, when
    the statement that carries the update has run).
    """
    using = using or router.db_for_write(type(obj), instance=obj)
    connection = connections[using]
    statement = _update(type(obj), tuple(fields), using)
    params = [f.get_db_prep_save(f.pre_save(obj, False), connection) for f in statement.fields]
    params.append(statement.pk.get_db_prep_save(obj.pk, connection))
    batch = _batch(connection)
    if batch is not None:
        row = (type(obj)._meta.db_table, obj.pk)
        batch.defer(statement.sql, params, must_change=UPDATE_MISSED, row=row)
        return
    with _cursor(connection) as cursor:
        cursor.execute(statement.sql, params)
        if cursor.rowcount == 0:
            raise DatabaseError(UPDATE_MISSED)


def update_row(
    model: type[Model], pk: Any, values: Mapping[str, Any], *, using: str | None = None
) -> int:
    """Set columns of one row by primary key, as filter(pk=pk).update(**values) would (auto_now
    fields are not touched); return the number of rows changed."""
    using = using or router.db_for_write(model)
    connection = connections[using]
    statement = _update(model, tuple(values), using)
    params = [
        f.get_db_prep_save(value, connection)
        for f, value in zip(statement.fields, values.values(), strict=True)
    ]
    params.append(statement.pk.get_db_prep_save(pk, connection))
    with _cursor(connection) as cursor:
        cursor.execute(statement.sql, params)
        return int(cursor.rowcount)


def update_each(
    model: type[Model],
    key: str,
    rows: Mapping[Any, Mapping[str, Any]],
    *,
    same: Mapping[str, Any] | None = None,
    where: str = "",
    where_params: Sequence[Any] = (),
    using: str | None = None,
) -> int:
    """Set per-row values on many rows in one statement; return the number of rows changed.

    `rows` maps a value of the `key` field to that row's {field: value} (every row sets the
    same fields); `same` sets fields to one value on every row; `where` (SQL on the table's
    unqualified columns) narrows the rows further. Values go through get_db_prep_save() as
    update() sends them; auto_now fields are not touched. On PostgreSQL the values come as
    one array per column (`UPDATE ... FROM unnest(...)`), elsewhere as
    `SET f = CASE key WHEN k THEN v ... END`.
    """
    if not rows:
        return 0
    using = using or router.db_for_write(model)
    connection = connections[using]
    key_field = _field(model, key)
    key_column = _column(key_field, using)
    fields = [_field(model, name) for name in next(iter(rows.values()))]
    keys = [key_field.get_db_prep_save(k, connection) for k in rows]
    values = [
        [
            f.get_db_prep_save(row[f.name if f.name in row else f.attname], connection)
            for f in fields
        ]
        for row in rows.values()
    ]
    sets: list[str] = []
    params: list[Any] = []
    if connection.vendor == "postgresql":
        sets = [f"{_column(f, using)} = v.v{i}" for i, f in enumerate(fields, 1)]
    else:
        whens = " ".join(["WHEN %s THEN %s"] * len(rows))
        for i, f in enumerate(fields):
            sets.append(f"{_column(f, using)} = CASE {key_column} {whens} END")
            for k, row in zip(keys, values, strict=True):
                params += [k, row[i]]
    for name, value in (same or {}).items():
        f = _field(model, name)
        sets.append(f"{_column(f, using)} = %s")
        params.append(f.get_db_prep_save(value, connection))
    narrow = f" AND ({where})" if where else ""
    if connection.vendor == "postgresql":
        arrays = ", ".join(f"%b::{f.db_type(connection)}[]" for f in [key_field, *fields])
        names = ", ".join(f"v{i}" for i in range(len(fields) + 1))
        sql = (
            f"UPDATE {table(model, using)} SET {', '.join(sets)} "  # noqa: S608
            f"FROM unnest({arrays}) AS v({names}) WHERE {key_column} = v.v0{narrow}"
        )
        params = [*params, keys, *_by_column(values), *where_params]
    else:
        sql = (
            f"UPDATE {table(model, using)} SET {', '.join(sets)} "  # noqa: S608
            f"WHERE {key_column} IN ({', '.join(['%s'] * len(keys))}){narrow}"
        )
        params = [*params, *keys, *where_params]
    with _cursor(connection) as cursor:
        cursor.execute(sql, params)
        return int(cursor.rowcount)
