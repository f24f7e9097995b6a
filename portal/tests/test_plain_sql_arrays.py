"""The id arrays the night sends as one literal each (portal.plain_sql.int_array), read back by
PostgreSQL element for element."""
import pytest
from django.db import connection

from portal.plain_sql import int_array

pytestmark = pytest.mark.django_db


def read_back(literal: str) -> list:
    with connection.cursor() as cursor:
        cursor.execute("SELECT %s::bigint[]", [literal])
        return cursor.fetchone()[0]


def test_an_int_array_reads_back_as_the_same_numbers():
    numbers = [3, 1, 2**40, 0, 3]
    assert read_back(int_array(numbers)) == numbers


def test_an_empty_array_is_empty():
    assert read_back(int_array([])) == []
