import datetime
import io
from decimal import Decimal

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from reservations.models import CartLine, Reservation
from reservations.tests.factories import (
    ActivityFactory,
    DeadlineRuleFactory,
    EnrolmentFactory,
    OccurrenceFactory,
    ReservationFactory,
)

pytestmark = pytest.mark.django_db
State = Reservation.State
# Monday 16 November 2026, 10:00 in Paris.
NOW = datetime.datetime(2026, 11, 16, 9, 0, tzinfo=datetime.UTC)
URL = "/reservations/suivi/"


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def child(family):
    return family.children.get()


@pytest.fixture
def activity(family):
    rule = DeadlineRuleFactory(structure=family.structure, name="La veille à 09:00", days=1, at_time=datetime.time(9, 0))
    return ActivityFactory(structure=family.structure, name="Vacances - Cambianes 6-12 ans", booking_rule=rule,
                           cancellation_rule=rule, arrival_time=datetime.time(7, 0), departure_time=datetime.time(19, 0))


def book(family, child, activity, day, state=State.ACCEPTED, cost="3.59", **extra):
    occurrence = activity.occurrences.filter(date=day).first() or OccurrenceFactory(activity=activity, date=day)
    return ReservationFactory(family=family, child=child, occurrence=occurrence, state=state, cost=Decimal(cost), **extra)


def table_rows(response):
    return [(row.occurrence.date, row.child_label, row.state_label) for row in response.context["rows"]]


def test_the_page_lists_the_familys_reservations_by_date_with_their_state(parent_client, family, child, activity):
    EnrolmentFactory(child=child, activity=activity, age_group="6-12")
    book(family, child, activity, datetime.date(2026, 11, 20), State.WAITING_LIST)
    book(family, child, activity, datetime.date(2026, 11, 18), State.ACCEPTED)
    book(family, child, activity, datetime.date(2026, 11, 19), State.ACCEPTED, cancel_requested_at=timezone.now())
    book(family, child, activity, datetime.date(2026, 11, 23), State.NOT_TRANSMITTED, waiting_mark=True)
    ReservationFactory(occurrence__activity__structure=family.structure, occurrence__date=datetime.date(2026, 11, 18),
                       child__first_name="Voisin")

    response = parent_client.get(URL)

    assert response.status_code == 200
    assert table_rows(response) == [
        (datetime.date(2026, 11, 18), "Emmy 6-12", "Acceptée"),
        (datetime.date(2026, 11, 19), "Emmy 6-12", "Acceptée — annulation demandée"),
        (datetime.date(2026, 11, 20), "Emmy 6-12", "En liste d'attente"),
        (datetime.date(2026, 11, 23), "Emmy 6-12", "Non transmise — mise en liste d'attente"),
    ]
    text = response.text
    for header in ("Date", "Activité", "Enfant", "Heure arr.", "Heure dép.", "Coût", "État"):
        assert f'<th scope="col">{header}</th>' in text or f'<th scope="col" class="text-end">{header}</th>' in text
    assert "Voisin" not in text
    assert "Vacances - Cambianes 6-12 ans" in text and "07:00" in text and "19:00" in text and "3,59" in text


@pytest.mark.parametrize("kind, expected", [
    ("tous", {"accepted", "awaiting_decision", "waiting_list", "not_transmitted", "cancelled", "refused"}),
    ("attente_reponse", {"awaiting_decision"}),
    ("liste_attente", {"waiting_list"}),
    ("non_transmise", {"not_transmitted"}),
    ("annulees", {"cancelled", "refused"}),
    ("acceptees", {"accepted"}),
])
def test_the_type_filter_keeps_the_chosen_states(parent_client, family, child, activity, kind, expected):
    states = [State.ACCEPTED, State.AWAITING_DECISION, State.WAITING_LIST, State.NOT_TRANSMITTED, State.CANCELLED, State.REFUSED]
    for offset, state in enumerate(states):
        book(family, child, activity, datetime.date(2026, 11, 18) + datetime.timedelta(days=offset), state)
    response = parent_client.get(URL, {"du": "2026-11-01", "au": "2026-11-30", "type": kind})
    assert response.status_code == 200
    assert {row.reservation.state for row in response.context["rows"]} == expected


def test_the_period_filter_keeps_the_days_between_the_two_dates(parent_client, family, child, activity):
    for day in (1, 10, 20, 30):
        book(family, child, activity, datetime.date(2026, 11, day))
    response = parent_client.get(URL, {"du": "10/11/2026", "au": "2026-11-20", "type": "tous"})
    assert [row.occurrence.date.day for row in response.context["rows"]] == [10, 20]


def test_without_filters_the_page_shows_this_month_and_the_next_two(parent_client, family, child, activity):
    for day in (datetime.date(2026, 10, 31), datetime.date(2026, 11, 2), datetime.date(2027, 1, 31), datetime.date(2027, 2, 1)):
        book(family, child, activity, day)
    response = parent_client.get(URL)
    assert [row.occurrence.date for row in response.context["rows"]] == [datetime.date(2026, 11, 2), datetime.date(2027, 1, 31)]


@pytest.mark.parametrize("params, message", [
    ({"du": "31/02/2026"}, "Saisissez une date valide"),
    ({"du": "demain", "au": "2026-11-30"}, "Saisissez une date valide"),
    ({"du": "2026-11-30", "au": "2026-11-01"}, "La date « au » doit être après la date « du »."),
    ({"du": "2026-11-30"}, None),
    ({"type": "piratage"}, "Type de réservations inconnu."),
    ({"du": "2020-01-01", "au": "2026-11-01"}, "deux ans au plus"),
])
def test_bad_filters_give_a_french_message_and_no_table(parent_client, family, child, activity, params, message):
    book(family, child, activity, datetime.date(2026, 11, 30))
    response = parent_client.get(URL, params)
    if message is None:
        # "du" alone: up to the default end of the period.
        assert response.status_code == 200
        assert len(response.context["rows"]) == 1
        return
    assert response.status_code == 400
    assert message in response.content.decode()
    assert response.context["rows"] == []


def test_the_page_runs_a_constant_number_of_queries(parent_client, family, child, activity):
    book(family, child, activity, datetime.date(2026, 11, 18))
    parent_client.get(URL)   # the first page of a session also refreshes it and reads the header's date
    with CaptureQueriesContext(connection) as few:
        parent_client.get(URL)
    other = ActivityFactory(structure=family.structure, cancellation_rule=DeadlineRuleFactory(structure=family.structure))
    EnrolmentFactory(child=child, activity=other, age_group="3-6")
    for offset in range(20):
        day = datetime.date(2026, 11, 19) + datetime.timedelta(days=offset)
        book(family, child, activity, day, State.WAITING_LIST)
        book(family, child, other, day, State.ACCEPTED)
    with CaptureQueriesContext(connection) as many:
        response = parent_client.get(URL)
    assert len(response.context["rows"]) == 41
    assert len(many) == len(few)


def test_accepted_and_waiting_listed_days_before_the_cancellation_deadline_have_a_cancel_button(
        parent_client, family, child, activity):
    # The rule is "la veille à 09:00": on Monday 16 at 10:00, Tuesday 17 is too late, Wednesday 18 is not.
    too_late = book(family, child, activity, datetime.date(2026, 11, 17), State.ACCEPTED)
    accepted = book(family, child, activity, datetime.date(2026, 11, 18), State.ACCEPTED)
    waiting = book(family, child, activity, datetime.date(2026, 11, 19), State.WAITING_LIST)
    cancelled = book(family, child, activity, datetime.date(2026, 11, 20), State.CANCELLED)
    asked = book(family, child, activity, datetime.date(2026, 11, 23), State.ACCEPTED, cancel_requested_at=timezone.now())

    rows = {row.reservation.pk: row.cancellable for row in parent_client.get(URL).context["rows"]}

    assert rows == {too_late.pk: False, accepted.pk: True, waiting.pk: True, cancelled.pk: False, asked.pk: False}


def test_cancel_puts_a_cancel_line_in_the_cart_and_keeps_the_filters(parent_client, family, child, activity):
    reservation = book(family, child, activity, datetime.date(2026, 11, 18), State.ACCEPTED)
    data = {"reservation": reservation.pk, "du": "2026-11-01", "au": "2026-11-30", "type": "acceptees"}

    response = parent_client.post(reverse("reservations:followup_cancel"), data)

    assert response.status_code == 302
    assert response["Location"] == f"{URL}?du=2026-11-01&au=2026-11-30&type=acceptees"
    line = CartLine.objects.get(family=family)
    assert (line.occurrence_id, line.child_id, line.action) == (reservation.occurrence_id, child.id, CartLine.Action.CANCEL)
    reservation.refresh_from_db()
    assert reservation.state == State.ACCEPTED and reservation.cancel_requested_at is None  # nothing before the cart

    page = parent_client.get(response["Location"])
    assert "Annulation ajoutée à votre panier" in page.text
    assert page.context["rows"][0].in_cart

    again = parent_client.post(reverse("reservations:followup_cancel"), data, follow=True)
    assert "déjà dans votre panier" in again.text
    assert CartLine.objects.filter(family=family).count() == 1


def test_cancel_after_the_deadline_is_refused_with_the_reason(parent_client, family, child, activity):
    reservation = book(family, child, activity, datetime.date(2026, 11, 17), State.ACCEPTED)
    response = parent_client.post(reverse("reservations:followup_cancel"), {"reservation": reservation.pk}, follow=True)
    assert "Hors délai" in response.text
    assert not CartLine.objects.exists()


def test_cancel_of_another_familys_reservation_is_a_404(parent_client, family, activity):
    other = ReservationFactory(occurrence__activity=activity, occurrence__date=datetime.date(2026, 11, 18), state=State.ACCEPTED)
    response = parent_client.post(reverse("reservations:followup_cancel"), {"reservation": other.pk})
    assert response.status_code == 404
    assert not CartLine.objects.exists()


@pytest.mark.parametrize("value", ["", "abc", "-1"])
def test_cancel_with_a_tampered_id_says_so(parent_client, value):
    response = parent_client.post(reverse("reservations:followup_cancel"), {"reservation": value}, follow=True)
    assert response.status_code == 200
    assert "illisible" in response.text


def test_cancel_needs_a_post(parent_client):
    assert parent_client.get(reverse("reservations:followup_cancel")).status_code == 405


def test_the_page_needs_a_login(client):
    response = client.get(URL)
    assert response.status_code == 302 and "/compte/" in response["Location"]


def test_print_gives_a_pdf_with_the_structure_family_period_filters_table_and_pages(parent_client, family, child, activity):
    EnrolmentFactory(child=child, activity=activity, age_group="6-12")
    for offset in range(70):
        book(family, child, activity, datetime.date(2026, 11, 17) + datetime.timedelta(days=offset), State.ACCEPTED)
    book(family, child, ActivityFactory(structure=family.structure, name="Gouter"), datetime.date(2026, 11, 18),
         State.WAITING_LIST, cost="0.60")

    response = parent_client.get(reverse("reservations:followup_print"),
                                 {"du": "2026-11-01", "au": "2027-01-31", "type": "tous"})

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert 'filename="suivi-reservations-20261101-20270131.pdf"' in response["Content-Disposition"]
    reader = PdfReader(io.BytesIO(response.content))
    pages = [page.extract_text() for page in reader.pages]
    text = "\n".join(pages)
    assert len(pages) >= 2
    assert f"Page 1 / {len(pages)}" in pages[0] and f"Page {len(pages)} / {len(pages)}" in pages[-1]
    assert family.structure.name in pages[0] and family.payer_name in pages[0] and family.number in pages[0]
    assert "Période : du 01/11/2026 au 31/01/2027" in text and "Tous" in text
    assert "Gouter" in text and "En liste d'attente" in text and "Emmy 6-12" in text and "0,60" in text
    assert text.count("Vacances - Cambianes 6-12 ans") == 70


def test_print_with_a_filter_prints_only_those_lines(parent_client, family, child, activity):
    book(family, child, activity, datetime.date(2026, 11, 18), State.ACCEPTED)
    book(family, child, activity, datetime.date(2026, 11, 19), State.REFUSED)
    response = parent_client.get(reverse("reservations:followup_print"),
                                 {"du": "2026-11-01", "au": "2026-11-30", "type": "annulees"})
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)
    assert "Annulées/Refusées" in text
    assert "19/11/26" in text and "18/11/26" not in text


def test_print_with_bad_filters_is_a_400_page_not_a_pdf(parent_client):
    response = parent_client.get(reverse("reservations:followup_print"), {"du": "2026-11-30", "au": "2026-11-01"})
    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/html")
