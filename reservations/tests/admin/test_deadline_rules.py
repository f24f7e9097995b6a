"""Deadline rules in the admin: one form for several weekly cut-offs, and every impossible
rule refused at save time with a French message (issue 10 items 2 and 3)."""
import datetime

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from accounts.tests.factories import (
    TEST_PASSWORD,
    ChildFactory,
    FamilyFactory,
    StaffMembershipFactory,
    StructureFactory,
    UserFactory,
)
from reservations.models import DeadlineCutoff, DeadlineRule
from reservations.rules.availability import windows
from reservations.rules.context import load_context
from reservations.rules.deadlines import PARIS
from reservations.tests.factories import ActivityFactory, DeadlineRuleFactory, EnrolmentFactory, OccurrenceFactory

pytestmark = pytest.mark.django_db
D = datetime.date
ADD = "admin:reservations_deadlinerule_add"


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


def rule_form(structure, *, kind, lines=(), **fields):
    """The add form as the browser posts it: the rule's fields, then its cut-off lines."""
    data = {"structure": structure.pk, "name": "Règle", "kind": kind, "days": "", "at_time": "", "hours": "",
            "fixed_deadline_0": "", "fixed_deadline_1": "",
            "cutoffs-TOTAL_FORMS": str(len(lines)), "cutoffs-INITIAL_FORMS": "0",
            "cutoffs-MIN_NUM_FORMS": "0", "cutoffs-MAX_NUM_FORMS": "1000"}
    data.update({key: str(value) for key, value in fields.items()})
    for index, (weekday, at_time, covers) in enumerate(lines):
        data[f"cutoffs-{index}-weekday"] = str(weekday)
        data[f"cutoffs-{index}-at_time"] = at_time
        data[f"cutoffs-{index}-covers"] = [str(day) for day in covers]
    return data


def test_two_cutoffs_a_week_are_set_in_one_form_and_give_the_towns_deadlines(staff_client, structure):
    # « Vendredi 09:00 pour lundi et mardi ; mardi 09:00 pour jeudi et vendredi ».
    response = staff_client.post(reverse(ADD), rule_form(
        structure, kind="weekly_cutoff", name="Deux limites par semaine",
        lines=[(4, "09:00", [0, 1]), (1, "09:00", [3, 4])]))
    assert response.status_code == 302, response.content.decode()[:3000]
    rule = DeadlineRule.objects.get(name="Deux limites par semaine")
    assert sorted((line.weekday, line.at_time, sorted(line.covers)) for line in rule.cutoffs.all()) == [
        (1, datetime.time(9), [3, 4]), (4, datetime.time(9), [0, 1])]
    listing = staff_client.get(reverse("admin:reservations_deadlinerule_changelist"))
    assert "vendredi 09:00 → lundi, mardi" in listing.text

    canteen = ActivityFactory(structure=structure, booking_rule=rule, cancellation_rule=rule)
    family = FamilyFactory(structure=structure)
    child = ChildFactory(family=family)
    EnrolmentFactory(child=child, activity=canteen, start_date=D(2026, 9, 1), end_date=D(2027, 7, 4))
    days = {day: OccurrenceFactory(activity=canteen, date=day) for day in (D(2026, 12, 7), D(2026, 12, 8), D(2026, 12, 10),
                                                                            D(2026, 12, 11))}
    ctx = load_context(family=family, child_ids=[child.id], start=D(2026, 12, 7), end=D(2026, 12, 11),
                       now=datetime.datetime(2026, 12, 1, 8, tzinfo=PARIS))
    booking = {day: windows(ctx, ctx.occurrences[occurrence.pk])[1] for day, occurrence in days.items()}
    friday, tuesday = datetime.datetime(2026, 12, 4, 9, tzinfo=PARIS), datetime.datetime(2026, 12, 8, 9, tzinfo=PARIS)
    assert booking == {D(2026, 12, 7): friday, D(2026, 12, 8): friday, D(2026, 12, 10): tuesday, D(2026, 12, 11): tuesday}


def test_the_cutoff_days_are_chosen_by_name_not_by_number(staff_client, structure):
    page = staff_client.get(reverse(ADD)).text
    assert '<option value="4">vendredi</option>' in page
    assert "0 = lundi" not in page


@pytest.mark.parametrize(("fields", "lines", "message"), [
    # "N jours avant" without the number of days, or without the time.
    ({"kind": "days_before", "at_time": "09:00"}, [], "Ce champ est obligatoire pour ce type de délai."),
    ({"kind": "days_before", "days": 1}, [], "Ce champ est obligatoire pour ce type de délai."),
    ({"kind": "hours_before"}, [], "Ce champ est obligatoire pour ce type de délai."),
    ({"kind": "before_period"}, [], "Ce champ est obligatoire pour ce type de délai."),
    ({"kind": "fixed_date"}, [], "Ce champ est obligatoire pour ce type de délai."),
    # A field of another kind, which would silently mean nothing.
    ({"kind": "hours_before", "hours": 72, "days": 2}, [], "Ce champ ne s&#x27;applique pas à ce type de délai"),
    ({"kind": "hours_before", "hours": 72, "working_days": "on"}, [], "Les jours ouvrés ne s&#x27;appliquent qu&#x27;au type"),
    ({"kind": "hours_before", "hours": 0}, [], "Entre 1 et 1440 heures."),
    ({"kind": "days_before", "days": 400, "at_time": "09:00"}, [], "Au plus 366 jours."),
    # Weekly cut-offs: a weekday outside the week, no line, no day ticked, a day covered twice, lines on another kind.
    ({"kind": "weekly_cutoff"}, [(8, "09:00", [0])], "Sélectionnez un choix valide"),
    ({"kind": "weekly_cutoff"}, [], "Ajoutez au moins une limite"),
    ({"kind": "weekly_cutoff"}, [(4, "09:00", [])], "Ce champ est obligatoire."),
    ({"kind": "weekly_cutoff"}, [(4, "09:00", [0, 1]), (1, "09:00", [1, 3])],
     "Le mardi est couvert par 2 limites : une seule limite par jour."),
    ({"kind": "hours_before", "hours": 72}, [(4, "09:00", [0])], "ne s&#x27;appliquent qu&#x27;au type"),
])
def test_an_impossible_rule_is_refused_at_save_time_with_a_french_message(staff_client, structure, fields, lines, message):
    fields = dict(fields)
    kind = fields.pop("kind")
    response = staff_client.post(reverse(ADD), rule_form(structure, kind=kind, lines=lines, **fields))
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not DeadlineRule.objects.filter(structure=structure).exists()


def test_model_clean_refuses_the_same_combinations_outside_the_admin(structure):
    from django.core.exceptions import ValidationError

    rule = DeadlineRule(structure=structure, name="J-2", kind="days_before", at_time=datetime.time(12))
    with pytest.raises(ValidationError) as error:
        rule.full_clean()
    assert error.value.message_dict["days"] == ["Ce champ est obligatoire pour ce type de délai."]
    line = DeadlineCutoff(rule=DeadlineRuleFactory(structure=structure, kind="weekly_cutoff", days=None, at_time=None),
                          weekday=9, at_time=datetime.time(9), covers=[7])
    with pytest.raises(ValidationError) as error:
        line.full_clean()
    assert set(error.value.message_dict) == {"weekday", "covers"}
