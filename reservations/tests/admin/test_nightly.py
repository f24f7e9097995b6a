"""Admin pages of the nightly work: the runs' figures in words, launch button and attendance
sheet, scoped per structure."""
import datetime

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse
from django.utils import timezone

from accounts.models import StaffMembership
from accounts.tests.factories import TEST_PASSWORD, ChildFactory, FamilyFactory, StructureFactory, UserFactory
from reservations.models import Reservation, TransmissionRun
from reservations.nightly.run import transmission_run
from reservations.nightly.settle import occurrences_settle
from reservations.tests.factories import ActivityFactory
from reservations.tests.transmission_helpers import future_day, request, settled

State = Reservation.State
pytestmark = pytest.mark.django_db
LAUNCH = reverse("admin:reservations_transmissionrun_launch")
SHEET = reverse("admin:reservations_attendance")


@pytest.fixture
def structure():
    return StructureFactory(name="Mairie de CarteVille", slug="carteville")


@pytest.fixture
def staff_client(client, structure):
    agent = UserFactory(username="agent.carteville", is_staff=True)
    agent.user_permissions.add(*Permission.objects.filter(
        codename__in=["view_transmissionrun", "view_reservation", "change_reservation"]))
    StaffMembership.objects.create(user=agent, structure=structure)
    assert client.login(username=agent.username, password=TEST_PASSWORD)
    return client


def test_changelist_offers_both_buttons(staff_client):
    page = staff_client.get(reverse("admin:reservations_transmissionrun_changelist")).content.decode()
    assert LAUNCH in page and SHEET in page
    assert "Lancer la transmission" in page and "Pointer les présences" in page


def test_the_runs_figures_are_told_in_words_and_a_dead_run_says_which_run_took_it_over(staff_client, structure):
    kids = [ChildFactory(family=FamilyFactory(structure=structure)) for _ in range(2)]
    days = [future_day(ActivityFactory(structure=structure, limited_places=True), places=1, waiting_places=0)
            for _ in range(2)]
    for day in days:
        for order, kid in enumerate(kids):
            request(child=kid, occurrence=day, order=order)
    changelist = reverse("admin:reservations_transmissionrun_changelist")
    # A run whose process died after settling the first day: its figures are counted from its rows.
    dead = TransmissionRun.objects.create(structure=structure)
    occurrences_settle(run=dead, occurrence_ids=[days[0].pk])
    one_day = "1 journées traitées, 1 acceptées, 1 refusées"

    page = staff_client.get(changelist).content.decode()
    assert one_day in page and "En cours" in page

    rerun = transmission_run(structure=structure, now=timezone.now())

    page = staff_client.get(changelist).content.decode()
    assert page.count(one_day) == 2 and f"{one_day}, 2 e-mails mis en file" in page
    assert "Interrompue, reprise par la transmission du" in page
    assert rerun.counts["emails_queued"] == 2 and "accepted" not in page and "emails_queued" not in page


def test_staff_launch_their_structure_only(staff_client, structure):
    elsewhere = StructureFactory(name="Association Les Cambianes")
    asked = request(child=ChildFactory(family=FamilyFactory(structure=structure)),
                    occurrence=future_day(ActivityFactory(structure=structure)))

    page = staff_client.get(LAUNCH).content.decode()
    assert "Mairie de CarteVille" in page and "Association Les Cambianes" not in page

    assert staff_client.post(LAUNCH, {"structure": elsewhere.pk}).status_code == 200  # not offered: form error
    assert not TransmissionRun.objects.exists()

    response = staff_client.post(LAUNCH, {"structure": structure.pk}, follow=True)
    assert "Transmission terminée pour Mairie de CarteVille" in response.content.decode()
    run = TransmissionRun.objects.get()
    assert run.status == TransmissionRun.Status.FINISHED and run.started_by.username == "agent.carteville"
    assert Reservation.objects.get(pk=asked.pk).state == State.ACCEPTED


def test_the_launch_button_follows_the_fan_out_of_the_night(staff_client, structure, settings,
                                                         django_capture_on_commit_callbacks):
    settings.TRANSMISSION_FAN_OUT = "chunks"
    settings.TRANSMISSION_CHUNK_SIZE = 1
    family = FamilyFactory(structure=structure)
    asked = [request(child=ChildFactory(family=family), occurrence=future_day(ActivityFactory(structure=structure)))
             for _ in range(2)]

    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(LAUNCH, {"structure": structure.pk}, follow=True)

    assert "Transmission terminée pour Mairie de CarteVille" in response.content.decode()
    run = TransmissionRun.objects.get()
    assert run.chunked and len(run.chunks) == 2 and sorted(run.chunks_done) == [0, 1]
    assert run.status == TransmissionRun.Status.FINISHED and run.started_by.username == "agent.carteville"
    assert {Reservation.objects.get(pk=r.pk).state for r in asked} == {State.ACCEPTED}


def test_attendance_sheet_lists_accepted_bookings_present_by_default_and_saves(staff_client, structure):
    activity = ActivityFactory(structure=structure, name="Restauration Scolaire")
    day = future_day(activity, date=timezone.localdate() - datetime.timedelta(days=0))
    emmy = settled(child=ChildFactory(family=FamilyFactory(structure=structure), first_name="Emmy"), occurrence=day)
    settled(child=ChildFactory(family=FamilyFactory(structure=structure), first_name="Zoé"), occurrence=day,
            state=State.REFUSED)
    query = f"?activity={activity.pk}&day={day.date.isoformat()}"

    page = staff_client.get(SHEET + query).content.decode()
    assert "Emmy" in page and "Zoé" not in page
    assert f'name="attendance-{emmy.pk}" value="present" checked' in page

    response = staff_client.post(SHEET + query, {f"attendance-{emmy.pk}": "excused"}, follow=True)
    assert "Présences enregistrées (1 modification)" in response.content.decode()
    assert Reservation.objects.get(pk=emmy.pk).attendance == "excused"


def test_attendance_of_another_structure_is_not_offered(staff_client):
    other = ActivityFactory(structure=StructureFactory())
    day = future_day(other)
    page = staff_client.get(SHEET + f"?activity={other.pk}&day={day.date.isoformat()}").content.decode()
    assert "Sélectionnez un choix valide" in page
