import datetime

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse
from django.utils import timezone

from accounts.tests.factories import (
    TEST_PASSWORD,
    ChildFactory,
    FamilyFactory,
    StaffMembershipFactory,
    StructureFactory,
    UserFactory,
)
from reservations.models import Closure, DeadlineRule, Occurrence, Reservation, ReservationEvent
from reservations.rules.availability import windows
from reservations.rules.context import load_context
from reservations.rules.deadlines import PARIS
from reservations.tests.factories import (
    ActivityFactory,
    ClosureFactory,
    DeadlineRuleFactory,
    EnrolmentFactory,
    OccurrenceFactory,
    ReservationFactory,
)

pytestmark = pytest.mark.django_db
State = Reservation.State


@pytest.fixture
def structure():
    return StructureFactory(name="Mairie de CarteVille", slug="carteville")


@pytest.fixture
def staff(structure):
    user = UserFactory(username="agent", is_staff=True)
    user.user_permissions.set(Permission.objects.filter(content_type__app_label="reservations"))
    StaffMembershipFactory(user=user, structure=structure)
    return user


@pytest.fixture
def staff_client(client, staff):
    assert client.login(username=staff.username, password=TEST_PASSWORD)
    return client


def test_staff_see_only_the_reservations_of_their_structure(staff_client, structure):
    mine = ReservationFactory(occurrence__activity__structure=structure, child__first_name="Emmy")
    ReservationFactory(child__first_name="Autrestructure")
    response = staff_client.get(reverse("admin:reservations_reservation_changelist"))
    assert response.status_code == 200
    assert "Emmy" in response.text and "Autrestructure" not in response.text
    other = Reservation.objects.exclude(pk=mine.pk).get()
    assert staff_client.get(reverse("admin:reservations_reservation_change", args=[other.pk])).status_code in (302, 404)


def test_accept_and_refuse_actions_decide_only_requests_awaiting_an_answer(staff_client, staff, structure):
    occurrence = OccurrenceFactory(activity__structure=structure)
    awaiting = ReservationFactory(occurrence=occurrence, state=State.AWAITING_DECISION)
    other_awaiting = ReservationFactory(occurrence=occurrence, state=State.AWAITING_DECISION)
    accepted = ReservationFactory(occurrence=occurrence, state=State.ACCEPTED)
    url = reverse("admin:reservations_reservation_changelist")

    response = staff_client.post(url, {"action": "accept", "_selected_action": [awaiting.pk, accepted.pk]}, follow=True)
    assert "1 demande acceptée" in response.text
    assert "n&#x27;est plus en attente de réponse" in response.text
    staff_client.post(url, {"action": "refuse", "_selected_action": [other_awaiting.pk]})

    states = dict(Reservation.objects.values_list("pk", "state"))
    assert states == {awaiting.pk: State.ACCEPTED, other_awaiting.pk: State.REFUSED, accepted.pk: State.ACCEPTED}
    events = ReservationEvent.objects.order_by("id")
    assert [(e.reservation_id, e.to_state, e.actor_id, e.run_id) for e in events] == [
        (awaiting.pk, State.ACCEPTED, staff.pk, None), (other_awaiting.pk, State.REFUSED, staff.pk, None)]


def test_reservations_cannot_be_deleted_or_added_in_the_admin(staff_client, structure):
    reservation = ReservationFactory(occurrence__activity__structure=structure)
    assert staff_client.get(reverse("admin:reservations_reservation_delete", args=[reservation.pk])).status_code == 403
    assert staff_client.get(reverse("admin:reservations_reservation_add")).status_code == 403
    response = staff_client.get(reverse("admin:reservations_reservation_changelist"))
    assert 'value="delete_selected"' not in response.text
    assert Reservation.objects.filter(pk=reservation.pk).exists()


def test_occurrence_list_shows_places_taken_waiting_list_and_requests(staff_client, structure):
    # A day to come: the list opens on today and the coming days (the factory's dates are past by now).
    occurrence = OccurrenceFactory(activity__structure=structure, activity__limited_places=True, places=2, waiting_places=2,
                                   date=timezone.localdate() + datetime.timedelta(days=1))
    ReservationFactory(occurrence=occurrence, state=State.ACCEPTED)
    ReservationFactory(occurrence=occurrence, state=State.NOT_TRANSMITTED)
    ReservationFactory(occurrence=occurrence, state=State.WAITING_LIST)
    ReservationFactory(occurrence=occurrence, state=State.AWAITING_DECISION)
    ReservationFactory(occurrence=occurrence, state=State.CANCELLED)

    response = staff_client.get(reverse("admin:reservations_occurrence_changelist"))

    assert response.status_code == 200
    assert '<td class="field-places_taken">3</td>' in response.text  # accepted + awaiting + not transmitted
    assert '<td class="field-waiting_count">1</td>' in response.text
    assert f"occurrence__id__exact={occurrence.pk}&amp;state__exact=awaiting_decision\">1</a>" in response.text


def test_capacities_are_changed_from_the_list(staff_client, structure):
    occurrence = OccurrenceFactory(activity__structure=structure, places=10, waiting_places=0)
    response = staff_client.post(reverse("admin:reservations_occurrence_changelist"), {
        "form-TOTAL_FORMS": "1", "form-INITIAL_FORMS": "1", "form-MIN_NUM_FORMS": "0", "form-MAX_NUM_FORMS": "1000",
        "form-0-id": str(occurrence.pk), "form-0-places": "12", "form-0-waiting_places": "4", "_save": "Enregistrer",
    })
    assert response.status_code == 302
    occurrence.refresh_from_db()
    assert (occurrence.places, occurrence.waiting_places) == (12, 4)


def test_occurrence_page_lists_the_waiting_list_in_submission_order(staff_client, structure):
    occurrence = OccurrenceFactory(activity__structure=structure)
    now = timezone.now()
    ReservationFactory(occurrence=occurrence, state=State.WAITING_LIST, child__first_name="Second",
                       submitted_at=now - datetime.timedelta(hours=1))
    ReservationFactory(occurrence=occurrence, state=State.WAITING_LIST, child__first_name="Premier",
                       submitted_at=now - datetime.timedelta(hours=2))
    ReservationFactory(occurrence=occurrence, state=State.NOT_TRANSMITTED, waiting_mark=True, child__first_name="Troisieme",
                       submitted_at=now)
    response = staff_client.get(reverse("admin:reservations_occurrence_change", args=[occurrence.pk]))
    assert response.status_code == 200
    waiting = response.text.split("<ol>", 1)[1].split("</ol>", 1)[0]
    assert waiting.index("Premier") < waiting.index("Second") < waiting.index("Troisieme")


def test_generate_days_from_the_admin_for_the_chosen_weekdays(staff_client, structure):
    activity = ActivityFactory(structure=structure, name="Restauration Scolaire", default_places=30)
    foreign = ActivityFactory(name="Ailleurs")
    changelist = reverse("admin:reservations_activity_changelist")
    response = staff_client.post(changelist, {"action": "generate_occurrences", "_selected_action": [activity.pk]})
    assert response.status_code == 302
    form_url = response["Location"]
    assert "Restauration Scolaire" in staff_client.get(form_url).text

    data = {"ids": f"{activity.pk},{foreign.pk}", "start": "2026-11-09", "end": "2026-11-13",
            "weekdays": ["0", "1", "2", "3", "4"]}
    response = staff_client.post(reverse("admin:reservations_activity_generate"), data, follow=True)

    # Wednesday 11 November is Armistice Day; the other structure's activity is out of reach.
    assert sorted(Occurrence.objects.values_list("date__day", flat=True)) == [9, 10, 12, 13]
    assert "4 journées créées" in response.text and "11/11/2026" in response.text
    assert not Occurrence.objects.filter(activity=foreign).exists()


def test_generate_view_shows_form_errors_in_french(staff_client, structure):
    activity = ActivityFactory(structure=structure)
    response = staff_client.post(reverse("admin:reservations_activity_generate"),
                                 {"ids": str(activity.pk), "start": "2026-11-13", "end": "2026-11-09", "weekdays": ["0"]})
    assert response.status_code == 200
    assert "La date de fin est avant la date de début." in response.text
    assert not Occurrence.objects.exists()


@pytest.mark.parametrize("name", ["deadlinerule", "activity", "enrolment", "closure", "occurrence", "reservation",
                                  "transmissionrun", "reservationevent"])
def test_every_admin_list_opens(admin_client, name):
    ReservationFactory()
    assert admin_client.get(reverse(f"admin:reservations_{name}_changelist")).status_code == 200


def test_filters_never_name_another_structures_activities(staff_client, structure):
    OccurrenceFactory(activity__structure=structure, activity__name="Restauration Scolaire")
    ReservationFactory(occurrence__activity__name="Activité d'ailleurs")
    for name in ("occurrence", "reservation", "enrolment", "activity"):
        response = staff_client.get(reverse(f"admin:reservations_{name}_changelist"))
        assert response.status_code == 200
        assert "Activité d&#x27;ailleurs" not in response.text and "Activité d'ailleurs" not in response.text


def test_change_pages_open_for_staff(staff_client, structure):
    reservation = ReservationFactory(occurrence__activity__structure=structure, state=State.ACCEPTED)
    ReservationEvent.objects.create(reservation=reservation, kind="accepted", to_state=State.ACCEPTED)
    for name, pk in (("reservation", reservation.pk), ("occurrence", reservation.occurrence_id),
                     ("activity", reservation.occurrence.activity_id)):
        response = staff_client.get(reverse(f"admin:reservations_{name}_change", args=[pk]))
        assert response.status_code == 200, name
    response = staff_client.get(reverse("admin:reservations_reservation_change", args=[reservation.pk]))
    assert 'name="state"' not in response.text and 'name="attendance"' in response.text


def test_an_enrolment_cannot_join_a_child_of_another_structure(staff_client, structure):
    from accounts.tests.factories import ChildFactory
    from reservations.models import Enrolment

    activity = ActivityFactory(structure=structure)
    mine = ChildFactory(family__structure=structure, first_name="Emmy")
    foreign = ChildFactory(first_name="Ailleurs")
    url = reverse("admin:reservations_enrolment_add")
    data = {"activity": activity.pk, "start_date": "2026-09-01", "end_date": "2027-08-31", "age_group": "6-12"}

    response = staff_client.post(url, {**data, "child": foreign.pk})
    assert response.status_code == 200
    assert not Enrolment.objects.exists()

    response = staff_client.post(url, {**data, "child": mine.pk})
    assert response.status_code == 302
    assert Enrolment.objects.get().child == mine

    inline = {"enrolments-TOTAL_FORMS": "1", "enrolments-INITIAL_FORMS": "0", "enrolments-0-child": foreign.pk,
              "enrolments-0-start_date": "2026-09-01", "enrolments-0-end_date": "2027-08-31"}
    change = reverse("admin:reservations_activity_change", args=[activity.pk])
    form = staff_client.get(change).context["adminform"].form
    fields = {name: form.initial.get(name, field.initial) for name, field in form.fields.items()}
    post = {key: ("" if value is None else getattr(value, "pk", value)) for key, value in fields.items()}
    post = {key: value for key, value in post.items() if value not in (False,)}
    for key in ("arrival_time", "departure_time"):
        post[key] = form.initial[key].strftime("%H:%M")
    response = staff_client.post(change, {**post, **inline})
    assert response.status_code == 200
    # The inline's child field offers only the staff member's structure: refused at the field.
    assert response.context["inline_admin_formsets"][0].formset.forms[0].errors["child"][0].startswith(
        "Sélectionnez un choix valide")
    assert Enrolment.objects.count() == 1


def test_attendance_is_read_only_once_the_consumption_is_posted(staff_client, structure):
    reservation = ReservationFactory(occurrence__activity__structure=structure, state=State.ACCEPTED,
                                     consumption_posted_at=timezone.now())
    response = staff_client.get(reverse("admin:reservations_reservation_change", args=[reservation.pk]))
    assert response.status_code == 200
    assert 'name="attendance"' not in response.text


def test_a_holiday_day_added_by_hand_takes_its_holiday_period_from_the_closures(staff_client, structure):
    # The leisure centre's rule: « réservation jusqu'à 15 jours pleins avant le premier jour des vacances ».
    rule = DeadlineRuleFactory(structure=structure, name="15 jours pleins avant les vacances",
                               kind=DeadlineRule.Kind.BEFORE_PERIOD, days=15, at_time=None)
    centre = ActivityFactory(structure=structure, name="Vacances - Cambianes 6-12 ans", closed_during_school_holidays=False,
                             booking_rule=rule, cancellation_rule=rule)
    holidays = ClosureFactory(structure=structure, kind=Closure.Kind.SCHOOL_HOLIDAYS, label="Vacances de Noël",
                              start_date=datetime.date(2026, 12, 19), end_date=datetime.date(2027, 1, 3))
    response = staff_client.post(reverse("admin:reservations_occurrence_add"), {
        "activity": centre.pk, "date": "2026-12-28", "arrival_time": "08:30", "departure_time": "17:30",
        "places": "12", "waiting_places": "2", "reservations-TOTAL_FORMS": "0", "reservations-INITIAL_FORMS": "0"})
    assert response.status_code == 302, response.content.decode()[:2000]
    day = Occurrence.objects.get(activity=centre, date=datetime.date(2026, 12, 28))
    page = staff_client.get(reverse("admin:reservations_occurrence_change", args=[day.pk]))
    assert "Vacances de Noël, à partir du 19/12/2026" in page.text

    family = FamilyFactory(structure=structure)
    child = ChildFactory(family=family)
    EnrolmentFactory(child=child, activity=centre, start_date=datetime.date(2026, 9, 1), end_date=datetime.date(2027, 7, 4))
    now = datetime.datetime(2026, 11, 20, 9, 0, tzinfo=PARIS)

    def deadline():
        ctx = load_context(family=family, child_ids=[child.id], start=day.date, end=day.date, now=now)
        return windows(ctx, ctx.occurrences[day.pk])[1]

    # 19 December − 15 full days = 4 December at 00:00 (the end of Thursday 3), not 13 December.
    assert deadline() == datetime.datetime(2026, 12, 4, 0, 0, tzinfo=PARIS)
    # The holidays are moved a week earlier in the admin: the day follows them.
    holidays.start_date = datetime.date(2026, 12, 12)
    holidays.save()
    assert deadline() == datetime.datetime(2026, 11, 27, 0, 0, tzinfo=PARIS)
