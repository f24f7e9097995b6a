"""Dates written into HTML attributes are what the W3C validator accepts."""
import datetime
from zoneinfo import ZoneInfo

import pytest

from portal.templatetags.html_dates import date_input_value, datetime_attr


def test_a_moment_is_written_in_paris_time_without_microseconds():
    moment = datetime.datetime(2026, 12, 1, 18, 0, 45, 546874, tzinfo=datetime.UTC)
    assert datetime_attr(moment) == "2026-12-01T19:00:45+01:00"
    assert datetime_attr(datetime.date(2026, 12, 1)) == "2026-12-01"
    assert datetime_attr(None) == ""
    summer = datetime.datetime(2026, 7, 1, 10, 0, tzinfo=ZoneInfo("Europe/Paris"))
    assert datetime_attr(summer) == "2026-07-01T10:00:00+02:00"


@pytest.mark.parametrize("typed, shown", [
    ("2027-02-28", "2027-02-28"), (datetime.date(2027, 2, 28), "2027-02-28"),
    ("31/02/2027", ""), ("2027-02-31", ""), ("n'importe quoi", ""), ("", ""), (None, ""), ("2027-2-8", ""),
])
def test_only_a_real_date_is_echoed_into_a_date_input(typed, shown):
    assert date_input_value(typed) == shown


def test_no_template_comment_spans_lines():
    """Django's {# #} is one line only: one that spans lines is printed on the page."""
    import re
    from pathlib import Path

    from django.conf import settings

    broken = [str(path) for path in (Path(settings.BASE_DIR) / "templates").rglob("*.html")
              if re.search(r"\{#(?:(?!#\}).)*\n", path.read_text(encoding="utf-8"))]
    assert not broken, broken
