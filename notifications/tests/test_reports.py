"""The report of the night, reproduced from the seed's "Exemple de mail reçu"."""
import datetime
import html

import pytest
from django.conf import settings
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.tests.factories import ChildFactory, FamilyFactory, StructureFactory, UserFactory
from notifications.models import OutboxEmail, ReportWatermark
from notifications.reports import reports_write
from reservations.booking.cart import cart_toggle
from reservations.booking.confirmation import cart_confirm
from reservations.booking.summary import cart_summary
from reservations.models import Reservation, ReservationEvent
from reservations.nightly.run import transmission_run
from reservations.staff.services import reservation_decide
from reservations.tests.factories import ActivityFactory, EnrolmentFactory, TransmissionRunFactory
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
    # Sent once (eager, on commit), and every event is now told: the family's watermark is at
    # this run, and writing the run's reports again tells nothing.
    assert email.status == OutboxEmail.Status.SENT
    assert [m.to for m in mail.outbox] == [["dupont@example.org"]]
    assert mail.outbox[0].alternatives[0].mimetype == "text/html"
    assert ReportWatermark.objects.get(family=family).run == run
    assert reports_write(run=run, queue=False) == {"emails_queued": 0, "emails_no_address": 0}
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
    assert "Décisions de nos services sur vos demandes en attente :" in body.splitlines()
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
    # The promotion is not one of the movements received: it is told under its own heading.
    assert summary_lines(email.body_text) == [
        "- 1 mouvement sur vos demandes de réservations a été reçu, dont :",
        "  * 1 nouvelle demande de réservation",
        "- 1 réservation a été acceptée",
        "- 1 place en liste d'attente vous a été attribuée",
    ]
    assert lines[lines.index("- 1 place en liste d'attente vous a été attribuée") - 1] == "Suite de vos demandes précédentes :"
    promoted_line = (f"- {day.date:%d/%m/%Y} · Paolo · Accueil de Loisirs : Acceptée : "
                     "votre place en liste d'attente vous a été attribuée — 3,59\u00a0€")
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


def parts(text):
    """The summary's parts: heading ('' for the movements received) → its count lines."""
    found, current = {}, None
    for line in text.split("\nDétail :")[0].splitlines()[3:]:
        if line.startswith(("- ", "  * ")):
            found.setdefault(current or "", []).append(line)
        elif line.strip():
            current = line
    return found


def number(line):
    return int(line.split()[1])


def test_every_count_is_explained_by_its_own_lines_when_staff_decided_during_the_day(
        structure, dupont, django_capture_on_commit_callbacks):
    # The case: 5 new requests and 1 cancellation request tonight, and one request
    # accepted by staff during the day. It said "6 mouvements reçus" then "6 acceptées, 1 annulée".
    family, amalia, paolo = dupont
    canteen = ActivityFactory(structure=structure, name="Restauration Scolaire")
    for order, day in enumerate(future_day_list(canteen, 5)):
        request(child=amalia, occurrence=day, order=order)
    cancel_request(settled(child=paolo, occurrence=future_day(canteen)))
    holidays = ActivityFactory(structure=structure, name="Vacances", needs_staff_decision=True)
    asked = settled(child=paolo, occurrence=future_day(holidays), state=State.AWAITING_DECISION, cost="12.40")
    reservation_decide(reservation=asked, accept=True, user=UserFactory(username="agent", is_staff=True))

    night(structure, django_capture_on_commit_callbacks)

    body = OutboxEmail.objects.get(family=family).body_text
    found = parts(body)
    assert found[""] == [
        "- 6 mouvements sur vos demandes de réservations ont été reçus, dont :",
        "  * 5 nouvelles demandes de réservation",
        "  * 1 demande d'annulation",
        "- 5 réservations ont été acceptées",
        "- 1 réservation a été annulée",
    ]
    assert found["Décisions de nos services sur vos demandes en attente :"] == ["- 1 réservation a été acceptée"]
    # Movements received = new requests + cancellation requests = the outcomes below them.
    received, new, cancels, *outcomes = found[""]
    assert number(received) == number(new) + number(cancels) == sum(number(line) for line in outcomes)
    # Each part's count is the number of its detail lines.
    detail = body.split("\nDétail :\n")[1]
    received_lines = detail.split("Demandes reçues\n")[1].split("\n\n")[0].splitlines()
    staff_lines = detail.split("Décisions de nos services\n")[1].split("\n\n")[0].splitlines()
    assert len(received_lines) == 6 and len(staff_lines) == 1
    assert staff_lines[0].endswith("Vacances : Acceptée par nos services — 12,40\u00a0€")
    assert all(line.endswith("Acceptée — 3,59\u00a0€") for line in received_lines if "Restauration" in line
               and "Annulée" not in line)


def test_a_request_withdrawn_before_the_night_is_not_a_movement(structure, dupont, django_capture_on_commit_callbacks):
    family, amalia, _paolo = dupont
    canteen = ActivityFactory(structure=structure, name="Restauration Scolaire")
    kept, withdrawn = future_day(canteen), future_day(canteen)
    EnrolmentFactory(child=amalia, activity=canteen, start_date=kept.date - datetime.timedelta(days=30),
                     end_date=withdrawn.date)
    def confirm():   # "Valider" then "Valider réellement"
        summary = cart_summary(family=family, now=timezone.now())
        cart_confirm(family=family, token=summary.token, summary_fingerprint=summary.fingerprint, now=timezone.now())

    for day in (kept, withdrawn):
        cart_toggle(family=family, child=amalia, occurrence=day, now=timezone.now())
    confirm()
    cart_toggle(family=family, child=amalia, occurrence=withdrawn, now=timezone.now())
    confirm()

    night(structure, django_capture_on_commit_callbacks)

    body = OutboxEmail.objects.get(family=family).body_text
    assert parts(body)[""] == [
        "- 1 mouvement sur vos demandes de réservations a été reçu, dont :",
        "  * 1 nouvelle demande de réservation",
        "- 1 réservation a été acceptée",
    ]
    assert f"{withdrawn.date:%d/%m/%Y}" not in body


def test_the_report_is_written_in_the_familys_language_with_the_structures_contact(
        structure, dupont, django_capture_on_commit_callbacks):
    family, amalia, _paolo = dupont
    structure.contact_email, structure.contact_phone = "enfance@carteville.fr", "01 23 45 67 89"
    structure.save()
    family.language = "en"
    family.save(update_fields=["language"])
    french = FamilyFactory(structure=structure, email="martin@example.org")
    canteen = ActivityFactory(structure=structure, name="Restauration Scolaire")
    request(child=amalia, occurrence=future_day(canteen))
    request(child=ChildFactory(family=french), occurrence=future_day(canteen))

    night(structure, django_capture_on_commit_callbacks)

    english = OutboxEmail.objects.get(family=family)
    assert english.subject == "Report on your booking requests — Mairie de CarteVille"
    assert "- 1 change to your booking requests has been received, including:" in english.body_text.splitlines()
    assert "- 1 booking has been accepted" in english.body_text.splitlines()
    assert '<html lang="en">' in english.body_html
    assert "Phone: 01 23 45 67 89" in english.body_text and "enfance@carteville.fr" in english.body_html
    assert "réservation" not in english.body_text
    other = OutboxEmail.objects.get(family=french)
    assert "- 1 réservation a été acceptée" in other.body_text.splitlines()
    assert "Téléphone : 01 23 45 67 89" in other.body_text and '<html lang="fr">' in other.body_html


def test_reports_are_built_from_data_fetched_per_chunk_not_per_family(structure):
    canteen = ActivityFactory(structure=structure)

    def queries_for(count):
        run = TransmissionRunFactory(structure=structure)
        for index in range(count):   # a request answered by this run, French and English families
            family = FamilyFactory(structure=structure, email="f@example.org", language=["fr", "en"][index % 2])
            asked = request(child=ChildFactory(family=family), occurrence=future_day(canteen))
            Reservation.objects.filter(pk=asked.pk).update(state=State.ACCEPTED)
            ReservationEvent.objects.create(reservation=asked, kind=ReservationEvent.Kind.ACCEPTED, run=run,
                                            from_state=State.NOT_TRANSMITTED, to_state=State.ACCEPTED)
        with CaptureQueriesContext(connection) as captured:
            written = reports_write(run=run, queue=False)
        assert written["emails_queued"] == count
        return len(captured)

    assert queries_for(3) == queries_for(9)


def test_families_shared_out_in_ranges_are_each_told_once(structure):
    """Workers sharing a run's reports each take a range of family ids: every family of the
    range is told, none outside it, and the ranges together tell every family once."""
    canteen = ActivityFactory(structure=structure)
    run = TransmissionRunFactory(structure=structure)
    families = []
    for _index in range(5):
        family = FamilyFactory(structure=structure, email="f@example.org")
        asked = request(child=ChildFactory(family=family), occurrence=future_day(canteen))
        ReservationEvent.objects.create(reservation=asked, kind=ReservationEvent.Kind.ACCEPTED, run=run,
                                        from_state=State.NOT_TRANSMITTED, to_state=State.ACCEPTED)
        families.append(family.pk)
    families.sort()

    first = reports_write(run=run, queue=False, family_range=(families[1], families[2]))
    assert first["emails_queued"] == 2
    assert sorted(OutboxEmail.objects.values_list("family_id", flat=True)) == families[1:3]

    rest = [reports_write(run=run, queue=False, family_range=bounds)["emails_queued"]
            for bounds in ((0, families[0]), (families[3], families[4] + 1000))]
    assert rest == [1, 2]
    assert sorted(OutboxEmail.objects.values_list("family_id", flat=True)) == families
    assert reports_write(run=run, queue=False)["emails_queued"] == 0
