"""Parent booking pages: calendar, day, toggles (plain and htmx), week pattern, cart, confirmation."""
import datetime
import re

import pytest
from django.urls import reverse

from accounts.tests.factories import ChildFactory, FamilyFactory
from reservations.models import CartConfirmation, CartLine, Reservation
from reservations.tests.booking_world import make_world
from reservations.tests.factories import ReservationFactory

pytestmark = pytest.mark.django_db
D = datetime.date


def toggle(client, world, day, child=None, **extra):
    data = {"child": (child or world.children[0]).id, "occurrence": world.occurrences[day].id, **extra}
    return client.post(reverse("reservations:toggle"), data, **extra.pop("headers", {}))


def test_calendar_shows_states_with_icon_text_legend_and_cart_count(client_in, world):
    response = client_in.get(reverse("reservations:calendar"), {"child": world.children[0].id,
                                                                 "activity": world.activity.id, "month": "2026-12"})
    body = response.content.decode()
    assert response.status_code == 200
    assert "Décembre 2026" in body
    assert 'class="pf-state st-open"' in body and "Ouverte" in body and 'aria-hidden="true">○' in body
    assert "Légende" in body and "L&#x27;activité est complète, mais vous pouvez vous inscrire en liste d&#x27;attente." in body
    assert 'id="panier-compteur"' in body
    assert body.count('<button type="submit" class="pf-day-button"') >= 20


def test_calendar_aggregate_mode_links_each_day_to_the_day_page(client_in, world):
    body = client_in.get(reverse("reservations:calendar"), {"month": "2026-12"}).content.decode()
    assert reverse("reservations:day", args=["2026-12-01"]) in body
    assert "Au moins une activité est ouverte, vous n&#x27;en avez réservé aucune." in body


@pytest.mark.parametrize("month", ["2031-01", "1999-12", "2026-13", "n'importe"])
def test_months_out_of_range_or_unreadable_get_a_polite_400(client_in, month):
    response = client_in.get(reverse("reservations:calendar"), {"month": month})
    assert response.status_code == 400
    assert "Rien n'a été réservé" in response.content.decode()


def test_another_familys_child_or_day_is_a_404(client_in, world):
    stranger = ChildFactory(family=FamilyFactory(structure=world.structure))
    assert client_in.get(reverse("reservations:calendar"), {"child": stranger.id}).status_code == 404
    assert client_in.get(reverse("reservations:day", args=["2026-12-01"]), {"child": stranger.id}).status_code == 404
    other = make_world()
    response = client_in.post(reverse("reservations:toggle"), {"child": world.children[0].id,
                                                                "occurrence": other.occurrences[D(2026, 12, 1)].id})
    assert response.status_code == 404
    assert client_in.post(reverse("reservations:toggle"), {"child": stranger.id,
                                                           "occurrence": world.occurrences[D(2026, 12, 1)].id}).status_code == 404
    assert not CartLine.objects.exists()


def test_day_page_lists_activities_with_state_places_deadline_and_cost(client_in, world):
    response = client_in.get(reverse("reservations:day", args=["2026-12-01"]), {"child": world.children[0].id})
    body = response.content.decode()
    assert "Activités disponibles le mardi 1 décembre 2026" in body
    assert "Restauration Scolaire" in body and "il reste 1 place disponible" in body
    assert "Modifiable jusqu&#x27;au lundi 30 à 09:00" in body
    assert "3,59" in body and "Réserver ce jour" in body and "Retour au calendrier" in body


def test_toggle_without_js_redirects_back_and_fills_the_cart(client_in, world):
    here = reverse("reservations:calendar") + "?month=2026-12"
    response = client_in.post(reverse("reservations:toggle"), {"child": world.children[0].id,
                                                               "occurrence": world.occurrences[D(2026, 12, 1)].id, "next": here})
    assert response.status_code == 302 and response["Location"] == here
    assert CartLine.objects.get().action == "book"


def test_toggle_refuses_an_open_redirect(client_in, world):
    response = client_in.post(reverse("reservations:toggle"), {"child": world.children[0].id,
                                                               "occurrence": world.occurrences[D(2026, 12, 1)].id,
                                                               "next": "https://evil.example/"})
    assert response.status_code == 302 and response["Location"].startswith("/reservations/")


def test_toggle_with_htmx_returns_the_updated_cell_and_cart_count(client_in, world):
    response = client_in.post(reverse("reservations:toggle"), {"child": world.children[0].id, "view": "cell",
                                                               "occurrence": world.occurrences[D(2026, 12, 1)].id},
                              headers={"HX-Request": "true"})
    body = response.content.decode()
    assert response.status_code == 200
    assert 'id="jour-2026-12-01"' in body and "st-to-book" in body and "À réserver" in body
    assert 'hx-swap-oob="true"' in body and "1 demande" in body
    assert "<html" not in body


@pytest.mark.parametrize(("day", "message"), [(D(2026, 11, 26), "Hors délai"), (D(2026, 12, 25), "Fermé")])
def test_tampered_toggle_past_deadline_or_on_closed_day_is_a_409_with_the_reason(client_in, world, day, message):
    response = client_in.post(reverse("reservations:toggle"),
                              {"child": world.children[0].id, "occurrence": world.occurrences[day].id})
    assert response.status_code == 409 and message in response.content.decode()
    assert not CartLine.objects.exists()


def test_toggle_on_a_full_day_is_refused(client_in, world):
    occurrence = world.occurrences[D(2026, 12, 1)]
    ReservationFactory(occurrence=occurrence, state=Reservation.State.ACCEPTED)
    ReservationFactory(occurrence=occurrence, state=Reservation.State.WAITING_LIST)
    response = client_in.post(reverse("reservations:toggle"), {"child": world.children[0].id, "occurrence": occurrence.id})
    assert response.status_code == 409 and "complète" in response.content.decode()


def test_garbage_toggle_is_a_400(client_in):
    assert client_in.post(reverse("reservations:toggle"), {"child": "x", "occurrence": "-3"}).status_code == 400


def test_week_pattern_page_adds_days_and_lists_skipped_ones(client_in, world):
    url = reverse("reservations:week_pattern") + f"?child={world.children[0].id}"
    assert client_in.get(url).status_code == 200
    response = client_in.post(url, {"child": world.children[0].id, "activity": world.activity.id, "weekdays": ["0", "4"],
                                    "start": "2026-11-26", "end": "2026-12-31", "action": "book"})
    body = response.content.decode()
    assert response.status_code == 200
    assert "jours ajoutés au panier" in body and "Hors délai" in body and "Jour férié" in body
    assert CartLine.objects.count() == 8  # Mondays 30/11…28/12, Fridays 4, 11, 18/12
    bad = client_in.post(url, {"child": world.children[0].id, "activity": world.activity.id, "weekdays": ["9"],
                               "start": "2026-12-31", "end": "2026-12-01", "action": "book"})
    assert bad.status_code == 400


def test_two_step_cart_then_result_page_and_replay(client_in, world):
    for child in world.children:
        client_in.post(reverse("reservations:toggle"), {"child": child.id, "occurrence": world.occurrences[D(2026, 12, 1)].id})
    client_in.post(reverse("reservations:toggle"),
                   {"child": world.children[0].id, "occurrence": world.occurrences[D(2026, 12, 2)].id})
    summary = client_in.get(reverse("reservations:cart"))
    body = summary.content.decode()
    assert "Récapitulatif des réservations" in body and "Valider réellement" in body and "Tout abandonner" in body
    assert "10,77" in body  # 3 × 3,59
    token = re.search(r'name="token" value="([^"]+)"', body).group(1)
    fingerprint = re.search(r'name="fingerprint" value="([^"]+)"', body).group(1)
    response = client_in.post(reverse("reservations:confirm"), {"token": token, "fingerprint": fingerprint})
    assert response.status_code == 302
    result = client_in.get(response["Location"]).content.decode()
    assert "Remarques concernant vos réservations" in result
    assert "Mise en liste d&#x27;attente" in result and "Demande enregistrée" in result
    again = client_in.post(reverse("reservations:confirm"), {"token": token, "fingerprint": fingerprint})
    assert again.status_code == 302 and again["Location"] == response["Location"]
    assert Reservation.objects.count() == 3 and CartConfirmation.objects.count() == 1


def test_confirm_with_a_garbage_token_is_a_400_and_books_nothing(client_in, world):
    client_in.post(reverse("reservations:toggle"),
                   {"child": world.children[0].id, "occurrence": world.occurrences[D(2026, 12, 1)].id})
    response = client_in.post(reverse("reservations:confirm"), {"token": "abc", "price": "0.01"})
    assert response.status_code == 400 and not Reservation.objects.exists()


@pytest.mark.parametrize("with_fingerprint", [False, True])
def test_confirm_without_the_summary_shown_is_a_400_that_says_to_display_it(client_in, world, with_fingerprint):
    """A fresh UUID (what the form used to accept) never confirms: the summary issues the token."""
    client_in.post(reverse("reservations:toggle"),
                   {"child": world.children[0].id, "occurrence": world.occurrences[D(2026, 12, 1)].id})
    data = {"token": "0b6d4a52-7a57-4b5b-9b5e-2f0c5c8c7e11"}
    if with_fingerprint:
        body = client_in.get(reverse("reservations:cart")).content.decode()
        data["fingerprint"] = re.search(r'name="fingerprint" value="([^"]+)"', body).group(1)
    response = client_in.post(reverse("reservations:confirm"), data)
    assert response.status_code == 400
    assert "affichez le récapitulatif avant de valider" in response.content.decode()
    assert not Reservation.objects.exists() and not CartConfirmation.objects.exists() and CartLine.objects.count() == 1


def test_price_sent_by_the_browser_is_ignored(client_in, world):
    client_in.post(reverse("reservations:toggle"), {"child": world.children[0].id, "cost": "0.01", "price": "0",
                                                    "occurrence": world.occurrences[D(2026, 12, 1)].id})
    body = client_in.get(reverse("reservations:cart")).content.decode()
    token = re.search(r'name="token" value="([^"]+)"', body).group(1)
    fingerprint = re.search(r'name="fingerprint" value="([^"]+)"', body).group(1)
    client_in.post(reverse("reservations:confirm"), {"token": token, "fingerprint": fingerprint, "cost": "0.01"})
    assert str(Reservation.objects.get().cost) == "3.59"


def test_cart_clear_abandons_everything(client_in, world):
    client_in.post(reverse("reservations:toggle"),
                   {"child": world.children[0].id, "occurrence": world.occurrences[D(2026, 12, 1)].id})
    response = client_in.post(reverse("reservations:cart_clear"))
    assert response.status_code == 302 and not CartLine.objects.exists()


def test_another_familys_confirmation_is_a_404(client_in, world):
    other = make_world()
    record = CartConfirmation.objects.create(family=other.family, token="0b6d4a52-7a57-4b5b-9b5e-2f0c5c8c7e11")
    assert client_in.get(reverse("reservations:confirmation", args=[record.token])).status_code == 404


def test_a_result_stored_by_an_earlier_version_still_shows_its_page(client_in, world):
    """CartConfirmation.result rows written before the typed results: the same JSON keys."""
    stored = {"token": "5f0c1d62-8e0b-4c61-9d0e-6a2b4c9e7f10", "changes": ["Le prix est passé de 3,59 € à 4,10 €."],
              "lines": [
                  {"date": "2026-12-01", "activity": "Restauration Scolaire", "child": "Emmy", "arrival": "11:45",
                   "departure": "13:30", "action": "book", "cost": "3.59", "outcome": "waiting",
                   "observation": "Mise en liste d'attente"},
                  {"date": "2026-12-02", "activity": "Restauration Scolaire", "child": "Emmy", "arrival": "11:45",
                   "departure": "13:30", "action": "cancel", "cost": None, "outcome": "refused",
                   "observation": "Non traitée : Hors délai."},
              ]}
    CartConfirmation.objects.create(family=world.family, token=stored["token"], result=stored)
    body = client_in.get(reverse("reservations:confirmation", args=[stored["token"]])).content.decode()
    rows = re.findall(r'<tr class="pf-outcome-(\w+)">.*?</tr>', body, flags=re.S)
    assert rows == ["waiting", "refused"]
    assert "01/12/26" in body and "◷ </span>Mise en liste d&#x27;attente" in body
    assert "✕ </span>Non traitée : Hors délai." in body and "annulation</span>" in body
    assert "Le prix est passé de 3,59 € à 4,10 €." in body


def test_calendar_page_runs_a_constant_number_of_queries(client_in, world, django_assert_max_num_queries):
    url = reverse("reservations:calendar")
    client_in.get(url, {"month": "2026-12"})   # seen again: session and header date are warm
    with django_assert_max_num_queries(11):
        assert client_in.get(url, {"month": "2026-12"}).status_code == 200
    with django_assert_max_num_queries(11):
        assert client_in.get(reverse("reservations:day", args=["2026-12-01"])).status_code == 200


def test_htmx_toggle_refused_shows_the_reason_in_the_cell(client_in, world):
    response = client_in.post(reverse("reservations:toggle"), {"child": world.children[0].id, "view": "cell",
                                                               "occurrence": world.occurrences[D(2026, 11, 26)].id},
                              headers={"HX-Request": "true"})
    body = response.content.decode()
    assert response.status_code == 200 and 'role="alert"' in body and "Hors délai" in body
    assert not CartLine.objects.exists()


def test_absurd_arrival_time_is_a_4xx_with_a_french_message(client_in, world):
    world.activity.arrival_typed = True
    world.activity.arrival_earliest = datetime.time(11, 30)
    world.activity.arrival_latest = datetime.time(12, 30)
    world.activity.save()
    response = client_in.post(reverse("reservations:toggle"), {"child": world.children[0].id, "arrival_time": "-3:99",
                                                               "occurrence": world.occurrences[D(2026, 12, 1)].id})
    assert response.status_code == 409 and "Heure d&#x27;arrivée" in response.content.decode()
    assert not CartLine.objects.exists()


def test_busy_confirmation_is_a_polite_503(client_in, world, monkeypatch):
    from reservations.booking import views
    from reservations.locking import CartBusy

    def busy(**kwargs):
        raise CartBusy()

    monkeypatch.setattr(views, "cart_confirm", busy)
    response = client_in.post(reverse("reservations:confirm"), {"token": "issued", "fingerprint": "by the summary"})
    assert response.status_code == 503 and response["Retry-After"] == "5"
    assert "réessayez" in response.content.decode()


def test_modify_and_abandon_come_back_to_the_child_activity_and_month_being_viewed(client_in, world):
    second = world.children[1]
    query = {"child": second.id, "activity": world.activity.id, "month": "2027-01"}
    assert toggle(client_in, world, D(2026, 12, 1), child=second).status_code == 302
    client_in.get(reverse("reservations:calendar"), query)

    cart_page = client_in.get(reverse("reservations:cart")).content.decode()
    back = re.search(r'href="([^"]+)"><span aria-hidden="true">‹</span> Modifier', cart_page).group(1)
    assert f"child={second.id}" in back and "month=2027-01" in back

    abandoned = client_in.post(reverse("reservations:cart_clear"))
    assert abandoned.status_code == 302
    assert f"child={second.id}" in abandoned["Location"] and "month=2027-01" in abandoned["Location"]
