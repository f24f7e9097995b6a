"""The reads of ``load_context``, and of the cart it is loaded for (``family_cart``: the summary
and the confirmation), in plain SQL (portal.plain_sql): the same rows, in the same order, as the
querysets they replace, without their Python (issue 16: writing those querysets' SQL was most of a
calendar page's reading time).

Each function runs one statement, or none when a list it filters on is empty (as the ORM does
with ``__in=[]``), so the pages' query counts are unchanged.
"""
from __future__ import annotations

from accounts.models import Child
from billing.models import Tariff, TariffRate
from portal.plain_sql import attnames, connection_for, fetch, fields_of, instance, instances, statement
from reservations.models import Activity, CartLine, Closure, DeadlineCutoff, DeadlineRule, Enrolment, Occurrence, Reservation

_ACTIVITY_JOINS = """{a:*}, {b:*}, {c:*}, {t:*} FROM {a}
    LEFT OUTER JOIN {b} ON {b.id} = {a.booking_rule_id}
    LEFT OUTER JOIN {c} ON {c.id} = {a.cancellation_rule_id}
    LEFT OUTER JOIN {t} ON {t.id} = {a.tariff_id}"""
_ACTIVITY_TABLES = {"a": Activity, "b": DeadlineRule, "c": DeadlineRule, "t": Tariff}
_ACTIVITY_FIELDS = fields_of(Activity) + fields_of(DeadlineRule) * 2 + fields_of(Tariff)


class _ActivityBuilder:
    """Activities with their rules and tariff attached, as ``select_related`` leaves them; one
    instance per activity however many rows name it."""

    def __init__(self, db: str):
        self.db = db
        self.built: dict = {}
        self.names = (attnames(Activity), attnames(DeadlineRule), attnames(Tariff))

    def __call__(self, row, offset: int = 0) -> Activity:
        activity_names, rule_names, tariff_names = self.names
        activity_id = row[offset]
        activity = self.built.get(activity_id)
        if activity is not None:
            return activity
        cut = offset + len(activity_names)
        activity = instance(Activity, activity_names, row[offset:cut], self.db)
        cache = activity._state.fields_cache
        for name, model, names in (("booking_rule", DeadlineRule, rule_names),
                                   ("cancellation_rule", DeadlineRule, rule_names), ("tariff", Tariff, tariff_names)):
            values = row[cut:cut + len(names)]
            cut += len(names)
            cache[name] = None if values[0] is None else instance(model, names, values, self.db)
        self.built[activity_id] = activity
        return activity


def enrolments(*, family, child_ids: list, start, end) -> list[tuple]:
    """(child_id, activity_id, start_date, end_date, Activity) of the children's enrolments in the
    structure's active activities overlapping the dates."""
    if not child_ids:
        return []
    connection = connection_for(Enrolment)
    sql = statement(connection, "SELECT {e.child_id}, {e.activity_id}, {e.start_date}, {e.end_date}, " + _ACTIVITY_JOINS + """
        INNER JOIN {e} ON {e.activity_id} = {a.id} INNER JOIN {k} ON {k.id} = {e.child_id}
        WHERE {e.child_id} IN ({children}) AND {k.family_id} = %s AND {a.structure_id} = %s AND {a.is_active} = %s
          AND {e.start_date} <= %s AND {e.end_date} >= %s ORDER BY {e.id}""",
                    {**_ACTIVITY_TABLES, "e": Enrolment, "k": Child}, children=len(child_ids))
    fields = fields_of(Enrolment, ("child_id", "activity_id", "start_date", "end_date")) + _ACTIVITY_FIELDS
    build = _ActivityBuilder(connection.alias)
    params = [*child_ids, family.pk, family.structure_id, True, end, start]
    return [(*row[:4], build(row, 4)) for row in fetch(connection, sql, params, fields)]


def activities(ids: list) -> dict:
    """id → Activity (rules and tariff attached), whatever its structure or state."""
    if not ids:
        return {}
    connection = connection_for(Activity)
    sql = statement(connection, "SELECT " + _ACTIVITY_JOINS + " WHERE {a.id} IN ({ids})", _ACTIVITY_TABLES, ids=len(ids))
    build = _ActivityBuilder(connection.alias)
    return {row[0]: build(row) for row in fetch(connection, sql, list(ids), _ACTIVITY_FIELDS)}


def occurrences(*, structure_id: int, start, end, occurrence_ids=None, activity_ids=None) -> list[Occurrence]:
    """The structure's days between two dates, by date and id: those of ``occurrence_ids`` if given,
    else those of ``activity_ids`` still active."""
    wanted = list(occurrence_ids if occurrence_ids is not None else activity_ids)
    if not wanted:
        return []
    connection = connection_for(Occurrence)
    if occurrence_ids is not None:
        which, extra = "{o.id} IN ({ids})", []
    else:
        which, extra = "{o.activity_id} IN ({ids}) AND {a.is_active} = %s", [True]
    sql = statement(connection, "SELECT {o:*} FROM {o} INNER JOIN {a} ON {a.id} = {o.activity_id} "
                    "WHERE {a.structure_id} = %s AND {o.date} >= %s AND {o.date} <= %s AND " + which
                    + " ORDER BY {o.date}, {o.id}", {"o": Occurrence, "a": Activity}, ids=len(wanted))
    names, db = attnames(Occurrence), connection.alias
    rows = fetch(connection, sql, [structure_id, start, end, *wanted, *extra], fields_of(Occurrence))
    return [instance(Occurrence, names, row, db) for row in rows]


def cart_lines(*, family) -> list:   # CartLine, with `day` added
    """The family's whole cart, each line with its day's date as ``day``, in the cart's order."""
    connection = connection_for(CartLine)
    sql = statement(connection, "SELECT {l:*}, {o.date} FROM {l} INNER JOIN {o} ON {o.id} = {l.occurrence_id} "
                    "WHERE {l.family_id} = %s ORDER BY {o.date}, {l.child_id}, {l.id}", {"l": CartLine, "o": Occurrence})
    names, db = attnames(CartLine), connection.alias
    lines = []
    for row in fetch(connection, sql, [family.pk], fields_of(CartLine) + fields_of(Occurrence, ("date",))):
        line = instance(CartLine, names, row[:-1], db)
        line.day = row[-1]
        lines.append(line)
    return lines


def family_cart(*, family, lock: bool = False) -> list:   # CartLine
    """The family's whole cart, each line with its child and its day (with the day's activity)
    attached as ``select_related("child", "occurrence__activity")`` leaves them, in the summary's
    order (day, activity, child). ``lock``: inside a transaction, the lines locked FOR UPDATE (their
    own rows only) in id order, as reservations.locking.rows_lock takes them."""
    connection = connection_for(CartLine)
    order = "{l.id}" if lock else "{o.date}, {a.position}, {c.first_name}, {l.id}"
    locking = ""
    if lock and connection.features.has_select_for_update:   # SQLite (make run) has no row locks
        locking = " FOR UPDATE OF " + connection.ops.quote_name("l")
    sql = statement(connection, "SELECT {l:*}, {c:*}, {o:*}, {a:*} FROM {l} INNER JOIN {c} ON {c.id} = {l.child_id} "
                    "INNER JOIN {o} ON {o.id} = {l.occurrence_id} INNER JOIN {a} ON {a.id} = {o.activity_id} "
                    "WHERE {l.family_id} = %s ORDER BY " + order + locking,
                    {"l": CartLine, "c": Child, "o": Occurrence, "a": Activity})
    models = (CartLine, Child, Occurrence, Activity)
    lines = []
    for row in fetch(connection, sql, [family.pk], sum((fields_of(model) for model in models), ())):
        line, child, occurrence, activity = instances(models, row, connection.alias)
        occurrence._state.fields_cache = {"activity": activity}
        line._state.fields_cache = {"child": child, "occurrence": occurrence}
        lines.append(line)
    return lines


def tariff_rates(*, tariff_ids: list, start, end) -> list[TariffRate]:
    """The rates of these tariffs valid at some point between two dates, newest first per tariff."""
    if not tariff_ids:
        return []
    connection = connection_for(TariffRate)
    sql = statement(connection, "SELECT {r:*} FROM {r} WHERE {r.tariff_id} IN ({ids}) AND {r.valid_from} <= %s "
                    "AND ({r.valid_until} IS NULL OR {r.valid_until} >= %s) "
                    "ORDER BY {r.tariff_id}, {r.valid_from} DESC, {r.quotient_min}", {"r": TariffRate}, ids=len(tariff_ids))
    names, db = attnames(TariffRate), connection.alias
    return [instance(TariffRate, names, row, db)
            for row in fetch(connection, sql, [*tariff_ids, end, start], fields_of(TariffRate))]


def live_reservations(*, family, child_ids: list, start, end) -> list[Reservation]:
    """The children's live requests on days between two dates, in the requests' own order."""
    if not child_ids:
        return []
    connection = connection_for(Reservation)
    states = [str(state) for state in Reservation.LIVE_STATES]
    sql = statement(connection, "SELECT {r:*} FROM {r} INNER JOIN {o} ON {o.id} = {r.occurrence_id} "
                    "WHERE {r.child_id} IN ({children}) AND {r.family_id} = %s AND {r.state} IN ({states}) "
                    "AND {o.date} >= %s AND {o.date} <= %s ORDER BY {o.date}, {r.submitted_at}, {r.id}",
                    {"r": Reservation, "o": Occurrence}, children=len(child_ids), states=len(states))
    names, db = attnames(Reservation), connection.alias
    return [instance(Reservation, names, row, db)
            for row in fetch(connection, sql, [*child_ids, family.pk, *states, start, end], fields_of(Reservation))]


_CLOSURE_COLUMNS = ("kind", "label", "start_date", "end_date", "effect")


def closure_rows(*, structure_id: int, start, end) -> list:
    """(kind, label, start_date, end_date, effect) of the structure's closures overlapping the dates."""
    connection = connection_for(Closure)
    sql = statement(connection, "SELECT {c.kind}, {c.label}, {c.start_date}, {c.end_date}, {c.effect} FROM {c} "
                    "WHERE {c.structure_id} = %s AND {c.start_date} <= %s AND {c.end_date} >= %s "
                    "ORDER BY {c.start_date}, {c.id}", {"c": Closure})
    return fetch(connection, sql, [structure_id, end, start], fields_of(Closure, _CLOSURE_COLUMNS))


def cutoff_rows(rule_ids: list) -> list:
    """(rule_id, weekday, at_time, covers) of these weekly rules' lines, by rule and id."""
    if not rule_ids:
        return []
    connection = connection_for(DeadlineCutoff)
    sql = statement(connection, "SELECT {k.rule_id}, {k.weekday}, {k.at_time}, {k.covers} FROM {k} "
                    "WHERE {k.rule_id} IN ({ids}) ORDER BY {k.rule_id}, {k.id}", {"k": DeadlineCutoff}, ids=len(rule_ids))
    return fetch(connection, sql, list(rule_ids), fields_of(DeadlineCutoff, ("rule_id", "weekday", "at_time", "covers")))
