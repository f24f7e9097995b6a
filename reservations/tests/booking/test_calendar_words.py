"""What the calendar says around the grid (issue 11): the cart button, an empty month, the help
of each mode, the legend's places sentence, the header's name."""
import datetime

import pytest
from django.urls import reverse

from reservations.models import CartLine
from reservations.tests.booking_world import make_activity, make_world
from reservations.tests.factories import EnrolmentFactory, OccurrenceFactory

pytestmark = pytest.mark.django_db
D = datetime.date


@pytest.fixture
def world():
    # Days of the canteen from 23/11 to 31/12/2026 only: January 2027 is empty, March has a day.
    world = make_world(places=2, waiting=1, children=1)
    world.user.first_name, world.user.last_name = "Denis", "Guide"
    world.user.save()
    return world


def page(client, world, **params):
    return client.get(reverse("reservations:calendar"), {"child": world.children[0].id, **params}).content.decode()


def test_an_empty_cart_is_not_valider_0_demandes(client_in, world):
    body = page(client_in, world, activity=world.activity.id, month="2026-12")
    assert "Panier vide" in body and "0 demande" not in body
    CartLine.objects.create(family=world.family, child=world.children[0], occurrence=world.occurrences[D(2026, 12, 1)],
                            action=CartLine.Action.BOOK)
    body = page(client_in, world, activity=world.activity.id, month="2026-12")
    assert "Valider" in body and "1 demande" in body and "Panier vide" not in body


def test_an_empty_month_says_so_and_offers_the_next_month_with_activity(client_in, world):
    OccurrenceFactory(activity=world.activity, date=D(2027, 3, 10))
    for mode in (world.activity.id, "toutes"):
        body = page(client_in, world, activity=mode, month="2027-01")
        assert ("Aucune activité ouverte ce mois-ci." in body) or ("n'est ouverte ce mois-ci" in body)
        assert f"activity={mode}&amp;month=2027-03" in body and "Voir mars 2027, le prochain mois avec des activités" in body
    body = page(client_in, world, activity=world.activity.id, month="2026-12")
    assert "ce mois-ci" not in body


def test_an_empty_month_with_nothing_after_it_says_so(client_in, world):
    body = page(client_in, world, activity="toutes", month="2027-02")
    assert "Aucune activité ouverte ce mois-ci." in body
    assert "Aucune activité n'est prévue pour cet enfant dans les mois qui suivent." in body


def test_the_next_month_offered_is_the_childs_and_the_activitys(client_in, world):
    other = make_activity(world.structure, name="Mercredi loisirs", amount="7.64", rule=world.activity.booking_rule)
    OccurrenceFactory(activity=other, date=D(2027, 2, 3))         # the child is not enrolled yet
    OccurrenceFactory(activity=world.activity, date=D(2027, 4, 6))
    assert "month=2027-04" in page(client_in, world, activity="toutes", month="2027-01")
    EnrolmentFactory(child=world.children[0], activity=other, start_date=D(2026, 9, 1), end_date=D(2027, 7, 4))
    assert "month=2027-02" in page(client_in, world, activity="toutes", month="2027-01")
    assert "month=2027-04" in page(client_in, world, activity=world.activity.id, month="2027-01")


def test_the_help_says_what_a_click_does_in_each_mode(client_in, world):
    one = page(client_in, world, activity=world.activity.id, month="2026-12")
    every = page(client_in, world, activity="toutes", month="2026-12")
    assert "Cliquer sur un jour l'ajoute au panier" in one
    assert "Cliquer sur un jour l'ajoute au panier" not in every
    assert "Cliquer sur un jour affiche les activités de ce jour" in every


def test_the_legend_of_an_activity_with_limited_places_says_how_many_are_left(client_in, world):
    limited = page(client_in, world, activity=world.activity.id, month="2026-12")
    assert "il reste N places disponibles" in limited
    world.activity.limited_places = False
    world.activity.save(update_fields=["limited_places"])
    unlimited = page(client_in, world, activity=world.activity.id, month="2026-12")
    assert "il reste N places disponibles" not in unlimited
    assert "L&#x27;activité est ouverte, vous ne l&#x27;avez pas réservée.<" in unlimited
    day = client_in.get(reverse("reservations:day", args=["2026-12-01"]), {"child": world.children[0].id}).content.decode()
    assert "il reste N places disponibles" not in day


def test_the_day_page_says_how_many_places_are_left_as_the_guide_does(client_in, world):
    day = client_in.get(reverse("reservations:day", args=["2026-12-01"]), {"child": world.children[0].id}).content.decode()
    assert "il reste 2 places disponibles" in day and "il reste N places disponibles" in day


def test_the_header_shows_name_then_first_name_as_in_the_guide(client_in, world):
    assert '<span class="user-name fw-semibold">GUIDE Denis</span>' in page(client_in, world, month="2026-12")

