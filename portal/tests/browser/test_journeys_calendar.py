"""A parent books December's days for a child through the two-step cart, then the night answers.

Thursday 26 November 2026, 10:00 in Paris. The DUPONT family (CarteVille) has Amalia and
Paolo; Paolo eats at the canteen (Mon, Tue, Thu, Fri) and goes to the Wednesday morning
centre (1 place, 1 waiting place), whose 2 December is already taken by another child.
"""
import datetime
import io
import re
from html import unescape

import pytest
from django.core import mail
from django.core.management import call_command
from playwright.sync_api import expect
from pypdf import PdfReader

from accounts.tests.factories import ChildFactory, FamilyFactory, StructureFactory, UserFactory
from reservations.models import Reservation
from reservations.tests.booking_world import make_activity, weekdays_between
from reservations.tests.factories import DeadlineRuleFactory, EnrolmentFactory, OccurrenceFactory, ReservationFactory

from .helpers import activate_with_keyboard, audit_page, tab_to

pytestmark = pytest.mark.browser

State = Reservation.State
CANTEEN = "Restauration Scolaire"
WEDNESDAY = "3-6 ans - Mercredi Matin"


class World:
    pass


@pytest.fixture
def dupont(travel_to):
    travel_to(2026, 11, 26, 10, 0)
    world = World()
    structure = StructureFactory(name="Mairie de CarteVille", slug="carteville")
    world.user = UserFactory(username="dupont", first_name="Jean-Paul", last_name="DUPONT", email="jp.dupont@example.org")
    world.family = FamilyFactory(structure=structure, number="000456", payer_name="DUPONT Jean-Paul", civility="M.",
                                 email="jp.dupont@example.org", users=[world.user])
    ChildFactory(family=world.family, first_name="Amalia", last_name="DUPONT", birth_date=datetime.date(2017, 6, 2))
    # Ids above 1000, as in any real database: they must never be rendered "1 024".
    world.paolo = ChildFactory(id=1207, family=world.family, first_name="Paolo", last_name="DUPONT",
                               birth_date=datetime.date(2021, 1, 20))
    world.neighbours = [ChildFactory(family__structure=structure, first_name=name, last_name="MARTIN")
                        for name in ("Lucas", "Léa", "Zoé")]
    rule = DeadlineRuleFactory(structure=structure, name="La veille à 09:00")
    world.canteen = make_activity(structure, name=CANTEEN, amount="3.76", rule=rule, position=1)
    world.wednesday = make_activity(structure, name=WEDNESDAY, amount="7.64", places=1, waiting=1, rule=rule, position=2,
                                    arrival_time=datetime.time(7, 30), departure_time=datetime.time(12, 0))
    school_year = {"start_date": datetime.date(2026, 9, 1), "end_date": datetime.date(2027, 7, 4)}
    for child in [world.paolo, *world.neighbours]:
        EnrolmentFactory(child=child, activity=world.canteen, **school_year)
        EnrolmentFactory(child=child, activity=world.wednesday, **school_year)
    world.days = {}
    for number, day in enumerate(weekdays_between(datetime.date(2026, 11, 23), datetime.date(2026, 12, 18))):
        activity = world.wednesday if day.weekday() == 2 else world.canteen
        world.days[day] = OccurrenceFactory(id=1000 + number * 7, activity=activity, date=day)
    # 2 December: the one place is taken, the waiting place is free.
    ReservationFactory(occurrence=world.days[datetime.date(2026, 12, 2)], child=world.neighbours[0],
                       family=world.neighbours[0].family, state=State.ACCEPTED,
                       submitted_at=datetime.datetime(2026, 11, 2, 9, 0, tzinfo=datetime.UTC))
    return world


def cell(page, day):
    return page.locator(f"#jour-{day:%Y-%m-%d}")


def cart_badge(page):
    return page.locator("#panier-compteur")


def show_calendar(page, *, child=None, activity=None):
    if child:
        # The activities offered depend on the child: show the child's calendar first.
        page.get_by_label("Enfant").select_option(label=child)
        page.get_by_role("button", name="Afficher").click()
        expect(page).to_have_url(re.compile(r"child=\d+"))
    if activity:
        page.get_by_label("Activité").select_option(label=activity)
    page.get_by_role("button", name="Afficher").click()


def test_parent_books_december_through_the_cart_and_the_night_answers(page, dupont, login_as):
    d = datetime.date
    login_as(page.context, dupont.user)
    page.goto("/")
    page.get_by_role("link", name="Réservations").first.click()
    expect(page.get_by_role("heading", name="Réserver vos activités")).to_be_visible()

    # Pick the child, then the canteen; move to December.
    show_calendar(page, child="Paolo DUPONT", activity=CANTEEN)
    expect(page.get_by_label("Enfant")).to_have_value(str(dupont.paolo.pk))
    page.get_by_role("link", name=re.compile("Décembre 2026")).click()
    expect(page.get_by_role("heading", name=f"Décembre 2026 — {CANTEEN}")).to_be_visible()
    expect(cell(page, d(2026, 12, 1))).to_contain_text("Ouverte")
    audit_page(page, label="calendrier, une activité choisie")

    # Three days with the activity selected: each turns "À réserver" (text, not only orange).
    for day in (1, 3, 4):
        cell(page, d(2026, 12, day)).get_by_role("button").click()
        expect(cell(page, d(2026, 12, day))).to_contain_text("À réserver")
    expect(cart_badge(page)).to_contain_text("3 demandes")
    audit_page(page, label="calendrier avec trois jours dans le panier")

    # The Wednesday centre: the 2nd is full but the waiting list is open; the 9th has one place.
    show_calendar(page, activity=WEDNESDAY)
    expect(cell(page, d(2026, 12, 2))).to_contain_text("Complète, liste d'attente possible")
    expect(cell(page, d(2026, 12, 9))).to_contain_text("1 place")
    cell(page, d(2026, 12, 2)).get_by_role("button").click()
    expect(cell(page, d(2026, 12, 2))).to_contain_text("À réserver (liste d'attente)")
    cell(page, d(2026, 12, 9)).get_by_role("button").click()
    expect(cell(page, d(2026, 12, 9))).to_contain_text("À réserver")
    expect(cart_badge(page)).to_contain_text("5 demandes")

    # No activity selected: every day shows its summary; Monday 7 opens the day's activities.
    show_calendar(page, activity="Toutes les activités")
    expect(page.get_by_role("heading", name="Décembre 2026")).to_be_visible()
    expect(cell(page, d(2026, 12, 1))).to_contain_text("Réservé, modifiable")
    expect(cell(page, d(2026, 12, 7))).to_contain_text("Ouvert")
    audit_page(page, label="calendrier, toutes les activités")
    cell(page, d(2026, 12, 7)).get_by_role("button").click()
    expect(page.get_by_role("heading", name=re.compile("Activités disponibles le lundi 7 décembre 2026"))).to_be_visible()
    audit_page(page, label="activités d'un jour")
    page.get_by_role("button", name=f"Réserver ce jour : {CANTEEN}").click()
    expect(page.locator(".pf-slot", has_text=CANTEEN)).to_contain_text("À réserver")
    expect(cart_badge(page)).to_contain_text("6 demandes")
    page.get_by_role("link", name="Retour au calendrier").click()
    expect(cell(page, d(2026, 12, 7))).to_contain_text("Réservé, modifiable")

    # The week pattern: every Tuesday and Thursday from the 8th to the 18th.
    page.get_by_role("link", name=re.compile("semaine type")).click()
    expect(page.get_by_role("heading", name="Réserver ou annuler toute une période")).to_be_visible()
    audit_page(page, label="semaine type")
    page.get_by_label("Activité").select_option(label=CANTEEN)
    page.get_by_label("Mardi").check()
    page.get_by_label("Jeudi").check()
    page.get_by_label("Du").fill("2026-12-08")
    page.get_by_label("Au").fill("2026-12-18")
    page.get_by_label("réserver ces jours").check()
    page.get_by_role("button", name="Mettre ces jours dans le panier").click()
    expect(page.get_by_role("heading", name="4 jours ajoutés au panier")).to_be_visible()
    audit_page(page, label="semaine type, résultat")

    # "Valider": the summary lists the ten requests and the total.
    page.get_by_role("link", name="Voir le panier et valider").click()
    expect(page.get_by_role("heading", name="Récapitulatif de vos demandes")).to_be_visible()
    bookings = page.locator("table[aria-labelledby=recap-reservations] tbody tr")
    expect(bookings).to_have_count(10)
    expect(page.locator("table[aria-labelledby=recap-reservations] tfoot")).to_contain_text("45,36")
    expect(bookings.filter(has_text="02/12/26")).to_contain_text("Sera mise en liste d'attente")
    audit_page(page, label="récapitulatif")

    # Go back and take Friday the 4th out of the cart: "Modifier" returns to where the parent was.
    page.get_by_role("link", name="Modifier").click()
    expect(page.get_by_label("Enfant").locator("option:checked")).to_have_text("Paolo DUPONT")
    expect(page.get_by_role("heading", name=re.compile("Décembre 2026"))).to_be_visible()
    show_calendar(page, activity=CANTEEN)  # the month shown is kept when the activity changes
    expect(page.get_by_role("heading", name=re.compile(f"Décembre 2026 — {CANTEEN}"))).to_be_visible()
    cell(page, d(2026, 12, 4)).get_by_role("button").click()
    expect(cell(page, d(2026, 12, 4))).to_contain_text("Ouverte")
    expect(cart_badge(page)).to_contain_text("9 demandes")
    cart_badge(page).click()
    expect(bookings).to_have_count(9)
    expect(bookings.filter(has_text="04/12/26")).to_have_count(0)
    expect(page.locator("table[aria-labelledby=recap-reservations] tfoot")).to_contain_text("41,60")

    # Meanwhile two other families take the last place and the waiting place of the 9th.
    ninth = dupont.days[d(2026, 12, 9)]
    for neighbour, state in zip(dupont.neighbours[1:], (State.ACCEPTED, State.WAITING_LIST), strict=True):
        ReservationFactory(occurrence=ninth, child=neighbour, family=neighbour.family, state=state)

    # "Valider réellement": the remarks say what became of each line.
    page.get_by_role("button", name="Valider réellement").click()
    # The title says what happened: 8 recorded (the full day is not), answered tonight.
    expect(page.get_by_role("heading", level=1)).to_have_text("8 demandes enregistrées, réponse cette nuit")
    expect(page.get_by_role("heading", name="Important")).to_be_visible()
    expect(page.get_by_role("heading", name="Récapitulatif des réservations")).to_be_visible()
    remarks = page.locator("table[aria-labelledby=recapitulatif-reservations] tbody tr")
    expect(remarks).to_have_count(9)
    expect(remarks.filter(has_text="02/12/26")).to_contain_text("Mise en liste d'attente")
    expect(remarks.filter(has_text="09/12/26")).to_contain_text("Non traitée, activité complète")
    expect(remarks.filter(has_text="01/12/26")).to_contain_text("Demande enregistrée (non transmise)")
    expect(page.get_by_text("des éléments ont changé depuis le récapitulatif")).to_be_visible()
    audit_page(page, label="résultat de la validation")

    # The follow-up: everything recorded is "Non transmise"; the full day is not there.
    page.get_by_role("link", name="Suivi des réservations").click()
    rows = page.locator("table.followup-table tbody tr")
    expect(rows).to_have_count(8)
    expect(rows.filter(has_text="01/12/26")).to_contain_text("Non transmise")
    expect(rows.filter(has_text="02/12/26")).to_contain_text("Non transmise — mise en liste d'attente")
    expect(rows.filter(has_text="09/12/26")).to_have_count(0)
    audit_page(page, label="suivi avant la nuit")

    # The night: the transmission answers and e-mails the family its report.
    sent_before = len(mail.outbox)
    call_command("transmit", "--structure", "carteville", verbosity=0)
    page.reload()
    expect(rows.filter(has_text="01/12/26")).to_contain_text("Acceptée")
    expect(rows.filter(has_text="17/12/26")).to_contain_text("Acceptée")
    expect(rows.filter(has_text="02/12/26")).to_contain_text("En liste d'attente")
    # "Imprimer" gives a PDF of the same list.
    printed = page.context.request.get(page.get_by_role("link", name="Imprimer").get_attribute("href"))
    assert printed.ok and printed.headers["content-type"] == "application/pdf"
    text = " ".join("".join(p.extract_text() for p in PdfReader(io.BytesIO(printed.body())).pages).split())
    assert "Acceptée" in text and "liste d'attente" in text and "Paolo" in text
    page.get_by_label("Type de réservations").select_option(label="En liste d'attente")
    page.get_by_role("button", name="Afficher").click()
    expect(rows).to_have_count(1)
    audit_page(page, label="suivi après la nuit")

    # The balance up to a date counts what the night accepted (and, if asked, the waiting list).
    page.get_by_role("link", name="Solde").first.click()
    page.get_by_label("Calculez vos réservations jusqu'au").fill("2026-12-10")
    page.get_by_label("Confirmées").check()
    page.get_by_label("En attente").uncheck()
    page.get_by_role("button", name="Calculer").click()
    wallet = page.locator("table.balance-table tbody tr", has_text="Restauration")
    expect(wallet).to_contain_text("18,80")   # 1, 3, 7, 8 and 10 December at 3,76 €
    page.get_by_label("En attente").check()
    page.get_by_role("button", name="Calculer").click()
    expect(wallet).to_contain_text("26,44")   # + the waiting-listed Wednesday at 7,64 €
    expect(page.locator(".balance-summary")).to_contain_text("26,44")

    reports = [m for m in mail.outbox[sent_before:] if "jp.dupont@example.org" in m.to]
    assert len(reports) == 1, [m.subject for m in mail.outbox]
    report = reports[0]
    body = " ".join(report.body.split())
    assert "M. DUPONT Jean-Paul" in body and "Mairie de CarteVille" in body
    assert "8 mouvements sur vos demandes de réservations ont été reçus" in body
    assert "8 nouvelles demandes de réservation" in body
    assert "7 réservations ont été acceptées" in body
    assert "1 réservation a été mise en liste d'attente" in body
    html = unescape(report.alternatives[0][0]) if report.alternatives else ""
    assert "Acceptée" in html and "Mise en liste d'attente" in html


def test_booking_a_day_and_confirming_the_cart_with_the_keyboard_alone(page, dupont, login_as):
    d = datetime.date
    login_as(page.context, dupont.user)
    page.goto(f"/reservations/?child={dupont.paolo.pk}&activity={dupont.canteen.pk}&month=2026-12")
    day_button = cell(page, d(2026, 12, 1)).get_by_role("button")
    activate_with_keyboard(page, day_button)
    expect(cell(page, d(2026, 12, 1))).to_contain_text("À réserver")
    # The focus comes back to the toggled day once htmx has settled the new cell (portal.js): wait
    # for it, or a Tab pressed meanwhile is undone by it.
    expect(cell(page, d(2026, 12, 1)).get_by_role("button")).to_be_focused()
    # After the swap the focus is somewhere sensible: Tab reaches the next day in a few presses.
    tab_to(page, cell(page, d(2026, 12, 3)).get_by_role("button"), max_presses=40)
    page.keyboard.press("Enter")
    expect(cell(page, d(2026, 12, 3))).to_contain_text("À réserver")
    expect(cart_badge(page)).to_contain_text("2 demandes")
    activate_with_keyboard(page, cart_badge(page), backwards=True)
    expect(page.get_by_role("heading", name="Récapitulatif de vos demandes")).to_be_visible()
    activate_with_keyboard(page, page.get_by_role("button", name="Valider réellement"))
    expect(page.get_by_role("heading", name="Vos demandes sont enregistrées : réponse cette nuit")).to_be_visible()
    expect(page.locator("table[aria-labelledby=recapitulatif-reservations] tbody tr")).to_have_count(2)
    assert Reservation.objects.filter(child=dupont.paolo, state=State.NOT_TRANSMITTED).count() == 2


def test_calendar_on_a_phone_lists_the_days_and_books_one(phone_page, dupont, login_as):
    d = datetime.date
    login_as(phone_page.context, dupont.user)
    phone_page.goto(f"/reservations/?child={dupont.paolo.pk}&activity={dupont.wednesday.pk}&month=2026-12")
    expect(cell(phone_page, d(2026, 12, 2))).to_contain_text("Complète, liste d'attente possible")
    audit_page(phone_page, label="calendrier sur téléphone (une activité)")
    cell(phone_page, d(2026, 12, 9)).get_by_role("button").click()
    expect(cell(phone_page, d(2026, 12, 9))).to_contain_text("À réserver")
    phone_page.goto(f"/reservations/?child={dupont.paolo.pk}&activity=toutes&month=2026-12")
    audit_page(phone_page, label="calendrier sur téléphone (toutes les activités)")
    cell(phone_page, d(2026, 12, 7)).get_by_role("button").click()
    expect(phone_page.get_by_role("heading", name=re.compile("lundi 7 décembre 2026"))).to_be_visible()
    audit_page(phone_page, label="activités d'un jour sur téléphone")
    cart_badge(phone_page).click()
    audit_page(phone_page, label="récapitulatif sur téléphone")
    phone_page.get_by_role("button", name="Valider réellement").click()
    expect(phone_page.get_by_role("heading", name="Vos demandes sont enregistrées : réponse cette nuit")).to_be_visible()
    audit_page(phone_page, label="résultat sur téléphone")
    phone_page.goto("/reservations/semaine-type/")
    audit_page(phone_page, label="semaine type sur téléphone")
    phone_page.goto("/reservations/suivi/")
    audit_page(phone_page, label="suivi sur téléphone")


def test_parent_cancels_an_accepted_day_from_the_follow_up_and_abandons_a_cart(page, dupont, login_as):
    """Cancelling goes through the cart too; "Tout abandonner" empties a cart without recording anything."""
    d = datetime.date
    third = ReservationFactory(occurrence=dupont.days[d(2026, 12, 3)], child=dupont.paolo, family=dupont.family,
                               state=State.ACCEPTED, unit_price="3.76", cost="3.76")
    login_as(page.context, dupont.user)
    page.goto("/reservations/suivi/")
    row = page.locator("table.followup-table tbody tr", has_text="03/12/26")
    expect(row).to_contain_text("Acceptée")
    row.get_by_role("button", name=re.compile("Annuler")).click()
    expect(page.locator("table.followup-table tbody tr", has_text="03/12/26")).to_contain_text("Annulation dans le panier")

    # The calendar shows the day green, "À annuler"; the summary lists it among the cancellations.
    page.goto(f"/reservations/?child={dupont.paolo.pk}&activity={dupont.canteen.pk}&month=2026-12")
    expect(cell(page, d(2026, 12, 3))).to_contain_text("À annuler")
    cart_badge(page).click()
    cancellations = page.locator("table[aria-labelledby=recap-annulations] tbody tr")
    expect(cancellations).to_have_count(1)
    expect(cancellations.first).to_contain_text("03/12/26")
    page.get_by_role("button", name="Valider réellement").click()
    expect(page.locator("table[aria-labelledby=recapitulatif-reservations] tbody tr")).to_contain_text(
        "Demande d'annulation enregistrée")
    page.get_by_role("link", name="Suivi des réservations").click()
    expect(page.locator("table.followup-table tbody tr", has_text="03/12/26")).to_contain_text("annulation demandée")

    # The night applies it, and the report says so.
    sent_before = len(mail.outbox)
    call_command("transmit", "--structure", "carteville", verbosity=0)
    page.reload()
    expect(page.locator("table.followup-table tbody tr", has_text="03/12/26")).to_contain_text("Annulée")
    third.refresh_from_db()
    assert third.state == State.CANCELLED
    body = " ".join(next(m for m in mail.outbox[sent_before:] if "jp.dupont@example.org" in m.to).body.split())
    assert "1 demande d'annulation" in body and "1 réservation a été annulée" in body

    # A day put in the cart, then everything abandoned: nothing is recorded.
    page.goto(f"/reservations/?child={dupont.paolo.pk}&activity={dupont.canteen.pk}&month=2026-12")
    cell(page, d(2026, 12, 10)).get_by_role("button").click()
    expect(cart_badge(page)).to_contain_text("1 demande")
    cart_badge(page).click()
    page.get_by_role("button", name="Tout abandonner").click()
    expect(page.get_by_text("Panier vidé : 1 demande abandonnée.")).to_be_visible()
    expect(cart_badge(page)).to_have_text("Panier vide")   # never "Valider 0 demandes"
    page.goto(f"/reservations/?child={dupont.paolo.pk}&activity={dupont.canteen.pk}&month=2026-12")
    expect(cell(page, d(2026, 12, 10))).to_contain_text("Ouverte")
    assert not Reservation.objects.filter(occurrence=dupont.days[d(2026, 12, 10)]).exists()
