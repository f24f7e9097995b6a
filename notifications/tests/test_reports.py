"""The report of the night, reproduced from the seed's "Exemple de mail reçu"."""
import datetime
import html

import pytest
from django.conf import settings
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from accounts.tests.factories import ChildFactory, FamilyFactory, StructureFactory, UserFactory
from notifications.models import OutboxEmail
from reservations.models import Reservation, ReservationEvent
from reservations.nightly.run import transmission_run
from reservations.staff.services import reservation_decide
from reservations.tests.factories import ActivityFactory
from reservations.tests.transmission_helpers import cancel_request, future_day, request, settled

State = Reservation.State
pytestmark = pytest.mark.django_db
GREETING = "M. DUPONT Jean-Paul"
INTRO = ("Veuillez trouver ci-dessous un compte rendu des modifications apportées à vos demandes de réservation "
         "sur la structure : Mairie de CarteVille.")


@pytest.fixture
def structure():
    return StructureFactory(name="Mairie de CarteVille", slug="carteville")


@pytest.fixture
def dupont(structure):
    family = FamilyFactory(structure=structure, civility="M.", payer_name="DUPONT Jean-Paul",
                           email="dupont@example.org")
    return family, ChildFactory(family=family, first_name="Amalia"), ChildFactory(family=family, first_name="Paolo")


def night(structure, capture):
    with capture(execute=True):
        run = transmission_run(structure=structure, now=timezone.now())
    return run


def summary_lines(text):
    """The count lines (the detail lines hold "·" between date, child and activity)."""
    return [line for line in text.splitlines() if line.startswith(("- ", "  * ")) and "·" not in line]


def test_first_example_45_movements_44_requests_1_cancellation(structure, dupont, django_capture_on_commit_callbacks):
    family, amalia, paolo = dupont
    canteen = ActivityFactory(structure=structure, name="Restauration Scolaire", limited_places=False)
    wednesday = ActivityFactory(structure=structure, name="3-6 ans - Mercredi Matin", needs_staff_decision=True)
    leisure = ActivityFactory(structure=structure, name="Accueil de Loisirs", limited_places=True)
    order = iter(range(1000))
    for day in future_day_list(canteen, 7):
        for child in (amalia, paolo):
            request(child=child, occurrence=day, order=next(order))
    for number, day in enumerate(future_day_list(wednesday, 7)):
        for child in (amalia, paolo)[: 2 if number < 6 else 1]:
            request(child=child, occurrence=day, order=next(order))
    for number, day in enumerate(future_day_list(leisure, 9, places=0, waiting_places=5)):
        for child in (amalia, paolo)[: 2 if number < 8 else 1]:
            request(child=child, occurrence=day, order=next(order))
    cancel_request(settled(child=amalia, occurrence=future_day(canteen)))

    run = night(structure, django_capture_on_commit_callbacks)

    email = OutboxEmail.objects.get(family=family)
    lines = email.body_text.splitlines()
    assert lines[0] == GREETING and INTRO in lines
    assert summary_lines(email.body_text) == [
        "- 45 mouvements sur vos demandes de réservations ont été reçus, dont :",
        "  * 44 nouvelles demandes de réservation",
        "  * 1 demande d'annulation",
        "- 14 réservations ont été acceptées",
        "- 13 réservations sont en attente de traitement par nos services",
        "- 17 réservations ont été mises en liste d'attente",
        "- 1 réservation a été annulée",
    ]
    assert email.subject == "Compte rendu de vos demandes de réservation — Mairie de CarteVille"
    assert "45 mouvements sur vos demandes de réservations ont été reçus" in email.body_html
    assert "<th scope=\"col\"" in email.body_html and "Mairie de CarteVille" in email.body_html
    # The detail: one row per outcome, with date, child, activity.
    detail = [line for line in lines if "·" in line]
    assert len(detail) == 45
    assert all(datetime.date.fromisoformat("-".join(reversed(line[2:12].split("/")))) for line in detail)
    assert any("Amalia · Restauration Scolaire : Acceptée" in line for line in detail)
    assert any("Paolo · 3-6 ans - Mercredi Matin : En attente de traitement par nos services" in line for line in detail)
    assert ("Vous pouvez consulter l'état de vos réservations sur notre site Internet : "
            f"{settings.SITE_URL}{reverse('reservations:followup')}") in lines
    # Sent once (eager, on commit), and every event is now reported in this run.
    assert email.status == OutboxEmail.Status.SENT
    assert [m.to for m in mail.outbox] == [["dupont@example.org"]]
    assert mail.outbox[0].alternatives[0].mimetype == "text/html"
    assert not ReservationEvent.objects.filter(reported_in__isnull=True).exists()
    assert run.counts["emails_queued"] == 1


def future_day_list(activity, count, **kwargs):
    return [future_day(activity, **kwargs) for _ in range(count)]


def test_second_example_staff_decisions_of_the_day_6_refused_4_accepted(structure, dupont,
                                                                       django_capture_on_commit_callbacks):
    family, amalia, paolo = dupont
    activity = ActivityFactory(structure=structure, needs_staff_decision=True)
    staff = UserFactory(username="agent", is_staff=True)
    waiting = [settled(child=child, occurrence=day, state=State.AWAITING_DECISION)
               for day in future_day_list(activity, 5) for child in (amalia, paolo)]
    for number, reservation in enumerate(waiting):
        reservation_decide(reservation=reservation, accept=number < 4, user=staff)

    night(structure, django_capture_on_commit_callbacks)

    body = OutboxEmail.objects.get(family=family).body_text
    assert summary_lines(body) == [
        "- 4 réservations ont été acceptées",
        "- 6 réservations ont été refusées",
    ]
    assert "mouvement" not in body
    assert body.count("Refusée par nos services") == 6 and body.count("Acceptée par nos services") == 4


def test_singular_lines_and_promotion_named_explicitly(structure, dupont, django_capture_on_commit_callbacks):
    family, amalia, paolo = dupont
    activity = ActivityFactory(structure=structure, name="Accueil de Loisirs", limited_places=True)
    day = future_day(activity, places=1, waiting_places=2)
    settled(child=ChildFactory(family=FamilyFactory(structure=structure)), occurrence=day)
    promoted = settled(child=paolo, occurrence=day, state=State.WAITING_LIST)
    other_day = future_day(activity, places=3)
    request(child=amalia, occurrence=other_day)
    day.places = 2
    day.save()

    night(structure, django_capture_on_commit_callbacks)

    email = OutboxEmail.objects.get(family=family)
    lines = email.body_text.splitlines()
    assert "- 1 mouvement sur vos demandes de réservations a été reçu, dont :" in lines
    assert "  * 1 nouvelle demande de réservation" in lines
    assert "- 2 réservations ont été acceptées" in lines
    assert "  * dont 1 place en liste d'attente qui vous a été attribuée" in lines
    promoted_line = (f"- {day.date:%d/%m/%Y} · Paolo · Accueil de Loisirs : Acceptée : "
                     "votre place en liste d'attente vous a été attribuée")
    assert promoted_line in lines
    assert "votre place en liste d'attente vous a été attribuée" in html.unescape(email.body_html)
    assert Reservation.objects.get(pk=promoted.pk).state == State.ACCEPTED


def test_family_without_address_is_counted_and_visible(structure, django_capture_on_commit_callbacks):
    family = FamilyFactory(structure=structure, email="")
    request(child=ChildFactory(family=family), occurrence=future_day(ActivityFactory(structure=structure)))

    run = night(structure, django_capture_on_commit_callbacks)

    email = OutboxEmail.objects.get(family=family)
    assert email.status == OutboxEmail.Status.NO_ADDRESS and email.recipient == ""
    assert run.counts["emails_no_address"] == 1 and run.counts["emails_queued"] == 0
    assert mail.outbox == []


def test_rerun_sends_nothing_twice_and_families_without_movement_get_nothing(structure, dupont,
                                                                           django_capture_on_commit_callbacks):
    family, amalia, _paolo = dupont
    quiet = FamilyFactory(structure=structure)
    settled(child=ChildFactory(family=quiet), occurrence=future_day(ActivityFactory(structure=structure)))
    request(child=amalia, occurrence=future_day(ActivityFactory(structure=structure)))

    night(structure, django_capture_on_commit_callbacks)
    again = night(structure, django_capture_on_commit_callbacks)

    assert list(OutboxEmail.objects.values_list("family", flat=True)) == [family.pk]
    assert len(mail.outbox) == 1 and again.counts["emails_queued"] == 0


def test_staff_decision_after_the_run_waits_for_the_next_report(structure, dupont, django_capture_on_commit_callbacks):
    _family, amalia, _paolo = dupont
    activity = ActivityFactory(structure=structure, needs_staff_decision=True)
    asked = request(child=amalia, occurrence=future_day(activity))
    night(structure, django_capture_on_commit_callbacks)
    reservation_decide(reservation=Reservation.objects.get(pk=asked.pk), accept=True,
                       user=UserFactory(username="agent2", is_staff=True))

    night(structure, django_capture_on_commit_callbacks)

    first, second = OutboxEmail.objects.order_by("pk")
    assert "- 1 réservation est en attente de traitement par nos services" in first.body_text.splitlines()
    assert summary_lines(second.body_text) == [
        "- 1 réservation a été acceptée"]
