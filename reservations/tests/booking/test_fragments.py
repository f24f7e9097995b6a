"""The cart's pages as htmx fragments (issue 16's round trip), and as whole pages without htmx.

With ``HX-Request`` the summary and the result answer their own part only — the title and
#pf-vue, no header, footer or scripts — and "Valider réellement" answers the result at once
with its URL in ``HX-Push-Url`` instead of a redirect; refusals keep their French message and
their 4xx/5xx. Without it every page and the POST/redirect are as before.
"""
import datetime
import re

import pytest
import time_machine
from django.urls import reverse

from accounts.tests.factories import TEST_PASSWORD
from reservations.models import CartConfirmation, CartLine, Reservation
from reservations.tests.booking_world import NOW, make_world
from reservations.tests.factories import ReservationFactory

from .test_page_queries import SUMMARY_QUERIES, grow, queries_of

pytestmark = pytest.mark.django_db
D = datetime.date
HTMX = {"HX-Request": "true"}
# Session, login, family; the transaction: its lock timeout, the confirmation inserted unless present
# (1: neither looked for first nor in a savepoint), the family's lines locked and taken out (2), their
# context (6: the cart, just taken out, not read again), the days locked with their counters, the
# requests written, the commit.
CONFIRM_FRAGMENT_QUERIES = 17


def put_in_cart(client, world, *days):
    for day in days:
        response = client.post(reverse("reservations:toggle"),
                               {"child": world.children[0].id, "occurrence": world.occurrences[day].id})
        assert response.status_code == 302


def summary_form(body: str) -> dict:
    form = {}
    for name in ("token", "fingerprint"):
        found = re.search(rf'name="{name}" value="([^"]+)"', body)
        assert found, f"no {name} in the summary"
        form[name] = found.group(1)
    return form


def assert_fragment(response, *, status=200):
    body = response.content.decode()
    assert response.status_code == status, body[:500]
    assert body.lstrip().startswith("<title>") and body.count('<div id="pf-vue">') == 1
    for layout in ("<html", "<head", "<body", "<footer", 'id="contenu"', "<script", "site-header"):
        assert layout not in body, f"{layout} in a fragment"
    assert "HX-Request" in response["Vary"]
    return body


def test_summary_fragment_then_result_fragment_with_its_url(client_in, world):
    put_in_cart(client_in, world, D(2026, 12, 1), D(2026, 12, 2))
    body = assert_fragment(client_in.get(reverse("reservations:cart"), headers=HTMX))
    assert "<title>Récapitulatif de vos demandes · " in body
    assert "Récapitulatif des réservations" in body and "Valider réellement" in body and "7,18" in body
    assert f'data-hx-post="{reverse("reservations:confirm")}"' in body and 'name="csrfmiddlewaretoken"' in body

    response = client_in.post(reverse("reservations:confirm"), summary_form(body), headers=HTMX)
    result = assert_fragment(response)
    token = CartConfirmation.objects.get().token
    assert response["HX-Push-Url"] == reverse("reservations:confirmation", args=[token])
    assert 'id="resultat-titre"' in result and "Remarques concernant vos réservations" in result
    assert Reservation.objects.filter(family=world.family, state=Reservation.State.NOT_TRANSMITTED).count() == 2
    assert not CartLine.objects.exists()
    # The pushed URL shows the same result, as a whole page (a reload, a bookmark).
    page = client_in.get(response["HX-Push-Url"]).content.decode()
    assert page.startswith("<!DOCTYPE html>")
    rows = re.findall(r'<tr class="pf-outcome-\w+">.*?</tr>', result, flags=re.S)
    assert len(rows) == 2 and rows == re.findall(r'<tr class="pf-outcome-\w+">.*?</tr>', page, flags=re.S)


def test_without_htmx_the_pages_are_whole_and_the_confirmation_redirects(client_in, world):
    put_in_cart(client_in, world, D(2026, 12, 1))
    response = client_in.get(reverse("reservations:cart"))
    body = response.content.decode()
    assert response.status_code == 200 and body.startswith("<!DOCTYPE html>") and "<footer" in body
    assert body.count('<div id="pf-vue">') == 1 and "HX-Request" in response["Vary"]
    confirm = client_in.post(reverse("reservations:confirm"), summary_form(body))
    assert confirm.status_code == 302 and "HX-Push-Url" not in confirm
    assert confirm["Location"] == reverse("reservations:confirmation", args=[CartConfirmation.objects.get().token])
    page = client_in.get(confirm["Location"]).content.decode()
    assert page.startswith("<!DOCTYPE html>") and "Demande enregistrée (non transmise)" in page


def test_htmx_restoring_its_history_gets_the_whole_page(client_in, world):
    response = client_in.get(reverse("reservations:cart"), headers={**HTMX, "HX-History-Restore-Request": "true"})
    assert response.status_code == 200 and response.content.decode().startswith("<!DOCTYPE html>")


def test_the_cart_badge_opens_the_summary_in_place_and_keeps_its_link(client_in, world):
    put_in_cart(client_in, world, D(2026, 12, 1))
    body = client_in.get(reverse("reservations:calendar"), {"child": world.children[0].id,
                                                            "activity": world.activity.id, "month": "2026-12"}).content.decode()
    badge = re.search(r'<a id="panier-compteur"[^>]*>', body).group(0)
    cart = reverse("reservations:cart")
    assert f'href="{cart}"' in badge and f'data-hx-get="{cart}"' in badge   # a plain link without JavaScript
    assert 'data-hx-target="#pf-vue"' in badge and 'data-hx-push-url="true"' in badge


def test_a_summary_shown_too_long_ago_is_a_400_fragment_and_records_nothing(client, world):
    with time_machine.travel(NOW, tick=False):
        assert client.login(username=world.user.username, password=TEST_PASSWORD)
        put_in_cart(client, world, D(2026, 12, 1))
        form = summary_form(client.get(reverse("reservations:cart"), headers=HTMX).content.decode())
    with time_machine.travel(NOW + datetime.timedelta(minutes=40), tick=False):   # the parent is still there
        assert client.get(reverse("reservations:calendar")).status_code == 200
    with time_machine.travel(NOW + datetime.timedelta(minutes=61), tick=False):
        body = assert_fragment(client.post(reverse("reservations:confirm"), form, headers=HTMX), status=400)
    assert "Ce récapitulatif a plus d&#x27;une heure" in body and "Demande non enregistrée" in body
    assert not Reservation.objects.exists() and CartLine.objects.count() == 1   # nothing lost


def test_a_confirmation_without_its_summary_is_a_400_fragment(client_in, world):
    put_in_cart(client_in, world, D(2026, 12, 1))
    body = assert_fragment(client_in.post(reverse("reservations:confirm"), {"token": "abc"}, headers=HTMX), status=400)
    assert "affichez le récapitulatif avant de valider" in body
    assert not Reservation.objects.exists() and CartLine.objects.count() == 1


def test_a_busy_confirmation_is_a_503_fragment_to_retry(client_in, world, monkeypatch):
    from reservations.booking import views
    from reservations.locking import CartBusy

    def busy(**kwargs):
        raise CartBusy()

    monkeypatch.setattr(views, "cart_confirm", busy)
    response = client_in.post(reverse("reservations:confirm"), {"token": "issued", "fingerprint": "by the summary"},
                              headers=HTMX)
    assert "réessayez" in assert_fragment(response, status=503) and response["Retry-After"] == "5"


def test_a_day_full_and_a_deadline_passed_since_the_summary_say_so_in_the_result(client, world):
    shown = datetime.datetime(2026, 11, 30, 8, 30, tzinfo=NOW.tzinfo)   # the 1st can be booked until 09:00
    with time_machine.travel(shown, tick=False):
        assert client.login(username=world.user.username, password=TEST_PASSWORD)
        put_in_cart(client, world, D(2026, 12, 1), D(2026, 12, 2))
        form = summary_form(client.get(reverse("reservations:cart"), headers=HTMX).content.decode())
    for state in (Reservation.State.ACCEPTED, Reservation.State.WAITING_LIST):   # the 2nd's place and waiting place
        ReservationFactory(occurrence=world.occurrences[D(2026, 12, 2)], state=state)
    with time_machine.travel(shown + datetime.timedelta(minutes=40), tick=False):
        body = assert_fragment(client.post(reverse("reservations:confirm"), form, headers=HTMX))
    assert "Aucune demande n'a pu être enregistrée</h1>" in body
    assert "Non traitée, activité complète" in body and "Non traitée : Hors délai" in body
    assert "des éléments ont changé depuis le récapitulatif" in body
    assert not Reservation.objects.filter(family=world.family).exists()


@pytest.mark.parametrize("activities", [1, 6])
def test_the_fragments_queries_do_not_grow_with_children_or_activities(client, activities):
    world = make_world(children=3)
    grow(world, activities)
    with time_machine.travel(NOW, tick=False):
        assert client.login(username=world.user.username, password=TEST_PASSWORD)
        client.get(reverse("reservations:calendar"))   # the session is fresh
        client.post(reverse("reservations:toggle"), {"child": world.children[0].id,
                                                     "occurrence": world.occurrences[D(2026, 12, 1)].id})
        count, response = queries_of(client, "get", reverse("reservations:cart"), headers=HTMX)
        body = assert_fragment(response)
        assert count == SUMMARY_QUERIES, f"summary fragment: {count} queries"
        count, response = queries_of(client, "post", reverse("reservations:confirm"), summary_form(body), headers=HTMX)
        assert_fragment(response)
        assert count == CONFIRM_FRAGMENT_QUERIES, f"confirmation answering the result: {count} queries"
        assert CartConfirmation.objects.get().result["lines"] and not CartLine.objects.filter(family=world.family).exists()
