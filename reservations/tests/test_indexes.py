"""Every index of reservations is written by each state change of the night (100,000 a night):
none may be the start of another, which would serve the same lookups for nothing."""
import pytest
from django.db import connection

HOT_TABLES = ["reservations_reservation", "reservations_reservationevent", "reservations_occurrence"]


def plain_indexes(table: str) -> dict[str, tuple[str, ...]]:
    """Name → columns of the table's indexes that are neither unique nor partial (those others
    cannot stand in for)."""
    with connection.cursor() as cursor:
        cursor.execute("""
            SELECT i.relname, array_agg(a.attname ORDER BY k.position)
            FROM pg_index x
            JOIN pg_class i ON i.oid = x.indexrelid
            JOIN LATERAL unnest(x.indkey) WITH ORDINALITY AS k(attnum, position) ON true
            JOIN pg_attribute a ON a.attrelid = x.indrelid AND a.attnum = k.attnum
            WHERE x.indrelid = %s::regclass AND NOT x.indisunique AND x.indpred IS NULL
            GROUP BY i.relname""", [table])
        return {name: tuple(columns) for name, columns in cursor.fetchall()}


@pytest.mark.django_db
@pytest.mark.parametrize("table", HOT_TABLES)
def test_no_index_is_the_start_of_another(table):
    indexes = plain_indexes(table)
    assert indexes, f"no index read on {table}"
    redundant = [(name, other) for name, columns in indexes.items() for other, longer in indexes.items()
                 if other != name and longer[:len(columns)] == columns]
    assert not redundant, f"{table}: indexes covered by a longer one: {redundant}"
