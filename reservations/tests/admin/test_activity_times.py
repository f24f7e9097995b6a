"""An activity's and a day's own fields are checked when staff save them, like the deadline
rules (issue 10 item 3): a day that ends before it starts, an arrival window upside down, or
a wallet, tariff or rule of another structure are refused with a French message."""
import datetime

import pytest
from django.contrib.auth.models import Permission
from django.core.exceptions import ValidationError
from django.urls import reverse

from accounts.tests.factories import TEST_PASSWORD, StaffMembershipFactory, StructureFactory, UserFactory
from billing.tests.factories import WalletFactory
from reservations.models import Activity
from reservations.tests.factories import ActivityFactory, DeadlineRuleFactory, OccurrenceFactory

pytestmark = pytest.mark.django_db
T = datetime.time


@pytest.fixture
def structure():
    return StructureFactory(name="Mairie de CarteVille", slug="carteville")


@pytest.fixture
def staff_client(client, structure):
    user = UserFactory(username="agent", is_staff=True)
    user.user_permissions.set(Permission.objects.filter(content_type__app_label="reservations"))
    StaffMembershipFactory(user=user, structure=structure)
    assert client.login(username=user.username, password=TEST_PASSWORD)
    return client


def change_form(client, activity, **changes):
    """The activity's change form as the browser posts it, with ``changes``."""
    change = reverse("admin:reservations_activity_change", args=[activity.pk])
    form = client.get(change).context["adminform"].form
    post = {name: form.initial.get(name, field.initial) for name, field in form.fields.items()}
    post = {key: ("" if value is None else getattr(value, "pk", value)) for key, value in post.items()}
    post = {key: value for key, value in post.items() if value is not False}
    for key in ("arrival_time", "departure_time"):
        post[key] = form.initial[key].strftime("%H:%M")
    post.update({"enrolments-TOTAL_FORMS": "0", "enrolments-INITIAL_FORMS": "0", **changes})
    return client.post(change, post)


def test_an_activity_ending_before_it_starts_is_refused_in_french(staff_client, structure):
    activity = ActivityFactory(structure=structure, arrival_time=T(11, 30), departure_time=T(13, 30))

    response = change_form(staff_client, activity, departure_time="11:00")

    assert response.status_code == 200
    assert response.context["adminform"].form.errors["departure_time"] == [
        "L'heure de départ doit être après l'heure d'arrivée."]
    activity.refresh_from_db()
    assert activity.departure_time == T(13, 30)
    assert change_form(staff_client, activity, departure_time="14:00").status_code == 302


def test_an_arrival_window_upside_down_is_refused(structure):
    activity = ActivityFactory.build(structure=structure, wallet=WalletFactory(structure=structure),
                                     arrival_time=T(7), departure_time=T(9), arrival_typed=True,
                                     arrival_earliest=T(8, 30), arrival_latest=T(7, 15))
    with pytest.raises(ValidationError) as refused:
        activity.full_clean()
    assert refused.value.message_dict["arrival_latest"] == [
        "L'arrivée au plus tard ne peut pas précéder l'arrivée au plus tôt."]


def test_an_activity_cannot_use_another_structures_wallet_or_rule(structure):
    elsewhere = StructureFactory(name="Association Les Cambianes")
    activity = ActivityFactory.build(structure=structure, wallet=WalletFactory(structure=elsewhere),
                                     booking_rule=DeadlineRuleFactory(structure=elsewhere),
                                     cancellation_rule=DeadlineRuleFactory(structure=structure))
    with pytest.raises(ValidationError) as refused:
        activity.full_clean()
    assert set(refused.value.message_dict) == {"wallet", "booking_rule"}
    assert refused.value.message_dict["wallet"] == ["Choisissez un élément de la structure de l'activité."]
    assert not Activity.objects.filter(name=activity.name).exists()


def test_a_day_ending_before_it_starts_is_refused(structure):
    day = OccurrenceFactory.build(activity=ActivityFactory(structure=structure), arrival_time=T(16, 30),
                                  departure_time=T(16, 30))
    with pytest.raises(ValidationError) as refused:
        day.full_clean()
    assert list(refused.value.message_dict) == ["departure_time"]
