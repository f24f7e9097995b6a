"""Query counts of the booking pages, seen as a parent: the same whatever the children and activities.

A query per child, per activity or per day coming back (a relation read in a template, a
lookup in a loop) makes these fail; the figures are what bench/calendar_page.py measures.
"""
import datetime

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.tests.factories import TEST_PASSWORD
from reservations.models import Reservation
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
