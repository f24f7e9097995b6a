"""Plain SQL for a page's hot reads: the ORM's values, without building and compiling a queryset.

Why (issue 16): on the booking calendar, writing the SQL of its half-dozen reads (querysets
filtered, joined and compiled on every page) cost more Python than everything the page then
decides; the statements below are written once, the tables and columns named from the
models (a renamed field fails loudly), parameters in %s form (Django's SQLite wrapper turns
them into ?), so they run on PostgreSQL and on SQLite (`make run`) alike.

Every value goes through the converters the ORM applies on that database (SQLite: dates,
decimals, aware datetimes, booleans; JSON everywhere), so a row read here equals the one a
queryset reads; model instances are built as ``Model.from_db`` leaves them (no
``__init__``: none of our models listens to ``post_init``).
"""
from __future__ import annotations

from functools import cache

from django.db import connections, router
from django.db.models import Model
from django.db.models.base import ModelState


def connection_for(model):
    return connections[router.db_for_read(model)]


@cache
def fields_of(model, names: tuple[str, ...] | None = None) -> tuple:
    """The concrete fields of a model (all of them, in order, or those named by attname)."""
    concrete = model._meta.concrete_fields
    if names is None:
        return tuple(concrete)
    by_name = {field.attname: field for field in concrete}
    return tuple(by_name[name] for name in names)


class _Table:
    """A table in a statement's template: ``{a}`` is ``"table" "a"``, ``{a:*}`` every column of the
    model, ``{a.field_id}`` one column (by attname)."""

    def __init__(self, quote, alias: str, model):
        self._quote, self._alias, self._model = quote, alias, model

    def __getattr__(self, attname: str) -> str:
        return f"{self._quote(self._alias)}.{self._quote(fields_of(self._model, (attname,))[0].column)}"

    def __format__(self, spec: str) -> str:
        if spec == "*":
            return ", ".join(getattr(self, field.attname) for field in fields_of(self._model))
        return f"{self._quote(self._model._meta.db_table)} {self._quote(self._alias)}"


_STATEMENTS: dict = {}


def statement(connection, template: str, tables: dict, **lists: int) -> str:
    """The SQL of a template for this kind of database, written once: ``tables`` maps aliases to
    models, ``lists`` the lengths of the IN lists (``{name}`` becomes that many placeholders)."""
    key = (connection.vendor, template, tuple(sorted(lists.items())))
    written = _STATEMENTS.get(key)
    if written is None:
        if len(_STATEMENTS) > 1000:   # IN lists of many lengths: keep the memory bounded
            _STATEMENTS.clear()
        quote = connection.ops.quote_name
        written = _STATEMENTS[key] = template.format(
            **{alias: _Table(quote, alias, model) for alias, model in tables.items()},
            **{name: ", ".join(["%s"] * length) for name, length in lists.items()},
        )
    return written


def _converters(connection, sql: str, fields: tuple) -> tuple:
    """(position, column expression, converters) of the fields that need any on this database,
    found once per connection and statement (the backend's converters are methods of its own
    operations; a statement's text names its columns and hashes once, a tuple of fields each time)."""
    known = connection.__dict__.setdefault("plain_sql_converters", {})
    found = known.get(sql)
    if found is None:
        found = []
        for position, field in enumerate(fields):
            col = field.cached_col
            converters = connection.ops.get_db_converters(col) + col.get_db_converters(connection)
            if converters:
                found.append((position, col, tuple(converters)))
        found = known[sql] = tuple(found)
    return found


def fetch(connection, sql: str, params, fields: tuple) -> list:
    """The rows of a statement whose columns are ``fields`` (in order), converted as the ORM would."""
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    converters = _converters(connection, sql, fields)
    if not converters or not rows:
        return rows
    converted = []
    for row in rows:
        row = list(row)
        for position, col, functions in converters:
            value = row[position]
            for function in functions:
                value = function(value, col, connection)
            row[position] = value
        converted.append(row)
    return converted


def instance(model, attnames, values, db: str):
    """A model instance from a row, as ``Model.from_db`` leaves it (saved, compared, related as usual)."""
    built = model.__new__(model)
    built.__dict__.update(zip(attnames, values, strict=True))
    state = built._state = ModelState()
    state.adding, state.db = False, db
    return built


def insert_unless_present(obj: Model, *, unique: tuple[str, ...]) -> bool:
    """Save a new model instance unless a row with the same ``unique`` columns (attnames) exists:
    True and ``obj`` saved (its pk set), or False and ``obj`` left unsaved.

    One statement (``INSERT … ON CONFLICT DO NOTHING RETURNING``, PostgreSQL and SQLite 3.35+)
    where ``save`` inside ``atomic`` to catch the IntegrityError costs a savepoint and its release
    around the insert (issue 16: three of the cart toggle's round trips). The values are prepared
    as a save prepares them (``auto_now_add`` included).
    """
    model = type(obj)
    db = router.db_for_write(model)
    connection = connections[db]
    fields = [field for field in model._meta.concrete_fields if not field.primary_key]
    quote = connection.ops.quote_name
    meta = model._meta
    sql = (f"INSERT INTO {quote(meta.db_table)} ({', '.join(quote(field.column) for field in fields)}) "
           f"VALUES ({', '.join(['%s'] * len(fields))}) "
           f"ON CONFLICT ({', '.join(quote(field.column) for field in fields_of(model, unique))}) DO NOTHING "
           f"RETURNING {quote(meta.pk.column)}")
    params = [field.get_db_prep_save(field.pre_save(obj, add=True), connection) for field in fields]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    if row is None:
        return False
    obj.pk = row[0]
    obj._state.adding, obj._state.db = False, db
    return True


def instances(models: tuple, row, db: str) -> list:
    """One instance of each model from a row whose columns are theirs in turn (``{a:*}, {b:*}``)."""
    built, cut = [], 0
    for model in models:
        names = attnames(model)
        built.append(instance(model, names, row[cut:cut + len(names)], db))
        cut += len(names)
    return built


def attnames(model, names: tuple[str, ...] | None = None) -> tuple[str, ...]:
    return tuple(field.attname for field in fields_of(model, names))


def int_array(values) -> str:
    """A PostgreSQL array of integers as one text literal (``'{1,2,3}'``), to pass as one
    parameter cast in the statement (``%s::bigint[]``).

    Why (issue 16): psycopg2 sends a Python list as ``ARRAY[1, 2, …]``, one constant per element,
    quoted one by one here and parsed one by one by the server: for the night's batches of 1,250
    rows in six arrays, 18 ms a statement against 1 ms for the same arrays as literals."""
    return "{" + ",".join(map(str, map(int, values))) + "}"

