"""The report's detail rows, built in Python for speed, print what the template loop they
replace printed, character for character, escaping included (issue 16: no word changes)."""
import datetime
from decimal import Decimal

import pytest
from django.template import Context, Template

from notifications.report_rows import rows_html, rows_text
from notifications.reports import EARLIER, RECEIVED, ReportLine
from reservations.models import Reservation

# The loops report.txt and report.html held before the rows moved to Python.
TEXT_LOOP = Template(
    "{% autoescape off %}{% for line in lines %}- {{ line.day }} · {{ line.child }} · {{ line.activity }} : "
    "{{ line.outcome }}{% if line.reason %} ({{ line.reason }}){% endif %}{% if line.cost_text %} — "
    "{{ line.cost_text }}{% endif %}\n{% endfor %}{% endautoescape %}")
HTML_LOOP = Template(
    '{% for line in lines %}<tr style="border-top: 1px solid #dee2e6;">\n'
    "        <td>{{ line.day }}</td><td>{{ line.child }}</td><td>{{ line.activity }}</td>\n"
    "        <td>{% if line.promoted %}<strong>{{ line.outcome }}</strong>{% else %}{{ line.outcome }}{% endif %}"
    "{% if line.reason %} ({{ line.reason }}){% endif %}</td>\n"
    '        <td style="text-align: right; white-space: nowrap;">{{ line.cost_text }}</td>\n'
    "      </tr>\n      {% endfor %}")

State = Reservation.State


def _lines():
    day = datetime.date(2027, 1, 4)
    return [
        ReportLine(part=RECEIVED, date=day, child="Léa", activity="Restauration Scolaire", state=State.ACCEPTED,
                   outcome="Acceptée", cost=Decimal("3.50")),
        ReportLine(part=RECEIVED, date=day, child='Zoé "Zozo" <b>', activity="APS & Cie l'été", state=State.REFUSED,
                   outcome="Refusée", reason="activité complète <plus de place>", cost=Decimal("2.00")),
        ReportLine(part=EARLIER, date=day + datetime.timedelta(days=1), child="Noé", activity="Mercredi",
                   state=State.ACCEPTED, outcome="Acceptée : votre place en liste d'attente vous a été attribuée",
                   cost=Decimal("1234.5"), promoted=True),
        ReportLine(part=RECEIVED, date=day, child="Léa", activity="Garderie", state=State.WAITING_LIST,
                   outcome="Mise en liste d'attente", cost=None),
    ]


@pytest.mark.parametrize("count", [0, 1, 4])
def test_text_rows_are_the_template_loops_characters(count):
    lines = _lines()[:count]
    assert rows_text(lines) == TEXT_LOOP.render(Context({"lines": lines}))


@pytest.mark.parametrize("count", [0, 1, 4])
def test_html_rows_are_the_template_loops_characters_escaping_included(count):
    lines = _lines()[:count]
    assert rows_html(lines) == HTML_LOOP.render(Context({"lines": lines}))


def test_html_rows_escape_what_a_family_or_staff_typed():
    html = rows_html(_lines())
    assert "<b>" not in html and "&lt;b&gt;" in html and "&amp; Cie l&#x27;été" in html
    assert "<strong>Acceptée : votre place" in html
