"""Query counts of the booking pages, seen as a parent: the same whatever the children and activities.

A query per child, per activity or per day coming back (a relation read in a template, a
lookup in a loop) makes these fail; the figures are what bench/calendar_page.py measures.
"""
import datetime
import re

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.tests.factories import TEST_PASSWORD
from reservations.models import CartLine, Reservation
from reservations.tests.booking_world import NOW, make_activity, make_world
from reservations.tests.factories import (
    CartLineFactory,
    DeadlineCutoffFactory,
    EnrolmentFactory,
    OccurrenceFactory,
    ReservationFactory,
)

pytestmark = pytest.mark.django_db
D = datetime.date
# Session, login, family, children; enrolments, days, cart, requests, closures, weekly rules' lines.
AGGREGATE_CALENDAR_QUERIES = 10
# The same and the tariff rates (the prices are shown).
ACTIVITY_CALENDAR_QUERIES = 12   # + the activity chosen
# The htmx toggle: session, login, family; child, day; the day's context read once (7, with the cart's
# count), the new line inserted unless present (1: no DELETE where the context shows no line, no
# savepoint). Taking it back out: the DELETE, no insert.
TOGGLE_QUERIES = 13
UNTOGGLE_QUERIES = 13
# Session, login, family; the cart's lines with their days and their context (5: neither the lines
# nor their days are read again).
SUMMARY_QUERIES = 9
# Session, login, family; the stored result.
RESULT_QUERIES = 4


def grow(world, activities: int):
    """More activities (one with a weekly cut-off rule), every child enrolled, requests and cart lines."""
    cutoff = DeadlineCutoffFactory(rule__structure=world.structure)
    for index in range(activities):
        activity = make_activity(world.structure, name=f"Activité {index}", places=5, waiting=2,
                                 rule=cutoff.rule if index == 0 else world.activity.booking_rule)
        for child in world.children:
            EnrolmentFactory(child=child, activity=activity, start_date=D(2026, 9, 1), end_date=D(2027, 7, 4))
        for day in world.occurrences:
            occurrence = OccurrenceFactory(activity=activity, date=day)
            if day.day % 4 == 0:
                ReservationFactory(family=world.family, child=world.children[index % 3], occurrence=occurrence,
                                   state=Reservation.State.ACCEPTED)
            elif day.day % 5 == 0 and day > NOW.date():
                CartLineFactory(family=world.family, child=world.children[index % 3], occurrence=occurrence)


def page_queries(client, url, params) -> tuple[int, str]:
    client.get(url, params)   # the second page of a visit: the session is already fresh
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, params)
    assert response.status_code == 200
    return len(queries), response.content.decode()


@pytest.mark.parametrize("activities", [1, 6])
def test_calendar_page_queries_do_not_grow_with_children_or_activities(client, activities):
    world = make_world(children=3)
    grow(world, activities)
    url = reverse("reservations:calendar")
    with time_machine.travel(NOW, tick=False):
        assert client.login(username=world.user.username, password=TEST_PASSWORD)
        for child in world.children:
            count, body = page_queries(client, url, {"child": child.id, "month": "2026-12"})
            assert count == AGGREGATE_CALENDAR_QUERIES, f"aggregate calendar: {count} queries"
            assert body.count('class="pf-day-button"') >= 20
            count, body = page_queries(client, url, {"child": child.id, "activity": world.activity.id, "month": "2026-12"})
            assert count == ACTIVITY_CALENDAR_QUERIES, f"one activity's calendar: {count} queries"
            assert body.count('class="pf-day-button"') >= 20


def queries_of(client, method, url, data=None, **extra) -> tuple[int, object]:
    with CaptureQueriesContext(connection) as queries:
        response = getattr(client, method)(url, data or {}, **extra)
    return len(queries), response


@pytest.mark.parametrize("activities", [1, 6])
def test_toggle_summary_and_result_queries_do_not_grow_with_children_or_activities(client, activities):
    """The htmx toggle answers the cell and the badge with the count read with the day; the summary
    and the result page cost the same for 3 cart lines or 30."""
    world = make_world(children=3)
    grow(world, activities)
    day = world.occurrences[D(2026, 12, 1)]
    with time_machine.travel(NOW, tick=False):
        assert client.login(username=world.user.username, password=TEST_PASSWORD)
        client.get(reverse("reservations:calendar"))   # the session is fresh, as on a parent's evening
        lines = CartLine.objects.filter(family=world.family).count()
        count, response = queries_of(client, "post", reverse("reservations:toggle"),
                                     {"child": world.children[0].id, "occurrence": day.id, "view": "cell"},
                                     headers={"HX-Request": "true"})
        body = response.content.decode()
        assert response.status_code == 200 and "<html" not in body
        assert 'id="jour-2026-12-01"' in body and 'data-hx-swap-oob="true"' in body
        assert f"Panier : {lines + 1} demande" in body
        assert count == TOGGLE_QUERIES, f"toggle: {count} queries"
        count, response = queries_of(client, "post", reverse("reservations:toggle"),
                                     {"child": world.children[0].id, "occurrence": day.id, "view": "cell"},
                                     headers={"HX-Request": "true"})
        assert response.status_code == 200 and f"Panier : {lines} demande" in response.content.decode()
        assert count == UNTOGGLE_QUERIES, f"toggle back: {count} queries"
        count, response = queries_of(client, "post", reverse("reservations:toggle"),
                                     {"child": world.children[0].id, "occurrence": day.id})
        assert response.status_code == 302   # no JS: the whole calendar again
        count, response = queries_of(client, "get", reverse("reservations:cart"))
        assert response.status_code == 200
        assert count == SUMMARY_QUERIES, f"summary: {count} queries"
        body = response.content.decode()
        token = re.search(r'name="token" value="([^"]+)"', body).group(1)
        fingerprint = re.search(r'name="fingerprint" value="([^"]+)"', body).group(1)
        response = client.post(reverse("reservations:confirm"), {"token": token, "fingerprint": fingerprint})
        assert response.status_code == 302
        count, response = queries_of(client, "get", response["Location"])
        assert response.status_code == 200
        assert count == RESULT_QUERIES, f"result page: {count} queries"
        assert Reservation.objects.filter(child=world.children[0], occurrence=day,
                                          state=Reservation.State.NOT_TRANSMITTED).exists()
