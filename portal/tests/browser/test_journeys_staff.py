"""A staff member works in the admin; the parent then sees the effects on the portal."""
import datetime
import re
from decimal import Decimal

import pytest
from django.core import mail
from django.core.management import call_command
from playwright.sync_api import expect

from accounts.services import staff_user_enrol
from accounts.tests.factories import (
    TEST_PASSWORD,
    ChildFactory,
    FamilyFactory,
    StaffMembershipFactory,
    StructureFactory,
    UserFactory,
)
from billing.models import Payment, Wallet
from reservations.models import Reservation
from reservations.tests.booking_world import make_activity
from reservations.tests.factories import DeadlineRuleFactory, EnrolmentFactory, OccurrenceFactory, ReservationFactory

from .helpers import audit_page

pytestmark = pytest.mark.browser

State = Reservation.State


@pytest.fixture
def carteville(travel_to):
    """Thursday 26/11/2026. Emmy (GUIDE) has a holiday day awaiting a decision and is
    second on the waiting list of a full Wednesday; the agent of CarteVille decides."""
    travel_to(2026, 11, 26, 10, 0)
    structure = StructureFactory(name="Mairie de CarteVille", slug="carteville")
    parent = UserFactory(username="guide", first_name="Denis", last_name="GUIDE")
    family = FamilyFactory(structure=structure, number="000123", payer_name="GUIDE DENIS", civility="M.",
                           email="denis.guide@example.org", users=[parent])
    emmy = ChildFactory(family=family, first_name="Emmy", last_name="GUIDE")
    other = ChildFactory(family__structure=structure, first_name="Lucas", last_name="MARTIN")
    rule = DeadlineRuleFactory(structure=structure)
    holidays = make_activity(structure, name="Vacances de Noël 6-12 ans", amount="3.59", needs_staff_decision=True,
                             rule=rule, arrival_time=datetime.time(7, 0), departure_time=datetime.time(19, 0))
    wednesday = make_activity(structure, name="3-6 ans - Mercredi Matin", amount="7.64", places=1, waiting=2, rule=rule,
                              arrival_time=datetime.time(7, 30), departure_time=datetime.time(12, 0))
    for activity in (holidays, wednesday):
        EnrolmentFactory(child=emmy, activity=activity)
        EnrolmentFactory(child=other, activity=activity)
    christmas = OccurrenceFactory(activity=holidays, date=datetime.date(2026, 12, 21))
    december_2 = OccurrenceFactory(activity=wednesday, date=datetime.date(2026, 12, 2), places=1, waiting_places=2)
    now = datetime.datetime(2026, 11, 20, 18, 0, tzinfo=datetime.UTC)
    ReservationFactory(occurrence=christmas, family=family, child=emmy, state=State.AWAITING_DECISION, submitted_at=now)
    ReservationFactory(occurrence=december_2, family=other.family, child=other, state=State.ACCEPTED, submitted_at=now)
    ReservationFactory(occurrence=december_2, family=family, child=emmy, state=State.WAITING_LIST,
                       submitted_at=now + datetime.timedelta(minutes=5), unit_price="7.64", cost="7.64")
    Wallet.objects.get_or_create(structure=structure, name="Accueil de Loisirs")
    agent = UserFactory(username="agent.carteville", first_name="Agent", last_name="CarteVille", is_staff=True)
    StaffMembershipFactory(user=agent, structure=structure)
    staff_user_enrol(user=agent)  # the « Personnel des structures » group, as in production
    # Another structure's request the agent must not see.
    elsewhere = make_activity(StructureFactory(name="Association Les Cambianes", slug="cambianes"),
                              name="Séjour neige", needs_staff_decision=True)
    ReservationFactory(occurrence=OccurrenceFactory(activity=elsewhere, date=datetime.date(2026, 12, 22)),
                       state=State.AWAITING_DECISION, submitted_at=now)
    return {"parent": parent, "agent": agent, "family": family, "emmy": emmy}


def admin_login(page, username):
    page.goto("/admin/")
    page.get_by_label(re.compile("Nom d.utilisateur")).fill(username)
    page.get_by_label("Mot de passe").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Connexion").click()
    expect(page.get_by_role("button", name="Déconnexion")).to_be_visible()


def test_staff_accepts_a_request_raises_a_capacity_and_records_a_payment(page, carteville):
    admin_login(page, "agent.carteville")

    # 1. The requests awaiting a decision: only CarteVille's, accept Emmy's holiday day.
    page.goto("/admin/reservations/reservation/?state__exact=awaiting_decision")
    rows = page.locator("#result_list tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Vacances de Noël 6-12 ans")
    # Not in the list, nor in the filters: another structure's activities stay out of sight.
    expect(page.get_by_text("Séjour neige")).to_have_count(0)
    rows.first.locator("input[name=_selected_action]").check()
    page.locator("select[name=action]").select_option(label="Accepter les demandes « En attente réponse »")
    page.get_by_role("button", name="Envoyer").click()
    expect(page.get_by_text("1 demande acceptée.")).to_be_visible()

    # 2. The full Wednesday: one more place.
    page.goto("/admin/reservations/occurrence/?q=Mercredi")
    row = page.locator("#result_list tbody tr", has_text="3-6 ans - Mercredi Matin")
    expect(row).to_have_count(1)
    places = row.locator("input[name$='-places']")
    expect(places).to_have_value("1")
    places.fill("2")
    page.get_by_role("button", name="Enregistrer").click()
    expect(page.locator(".messagelist")).to_contain_text("modifié")
    wednesday_row = page.locator("#result_list tbody tr", has_text="3-6 ans - Mercredi Matin")
    expect(wednesday_row.locator("input[name$='-places']")).to_have_value("2")

    # 3. A cheque handed in at the desk, allocated to the leisure-centre wallet.
    page.goto("/admin/billing/payment/add/")
    page.locator("#id_family").locator("xpath=..").locator(".select2-selection").click()
    page.locator(".select2-search__field").fill("GUIDE")
    page.locator(".select2-results__option", has_text="GUIDE DENIS").click()
    page.get_by_label("Date").fill("26/11/2026")
    page.locator("#id_mode").select_option(label="Chèque")
    page.locator("#id_amount").fill("42.50")
    page.locator("#id_piece_number").fill("7788123")
    page.locator("#id_payer_name").fill("GUIDE DENIS")
    page.locator("#id_bank_name").fill("LA BANQUE POSTALE")
    wallet = page.locator("#id_allocations-0-wallet option", has_text="Accueil de Loisirs").get_attribute("value")
    page.locator("#id_allocations-0-wallet").select_option(wallet)
    page.locator("#id_allocations-0-amount").fill("42.50")
    page.get_by_role("button", name="Enregistrer", exact=True).click()
    expect(page.locator(".messagelist .success")).to_be_visible()
    payment = Payment.objects.get(piece_number="7788123")
    assert payment.family == carteville["family"] and payment.amount == Decimal("42.50")

    # The parent's side: the payment is in the history of the month and in the balance.
    parent_page = page.context.browser.new_context(base_url=page.url.split("/admin")[0], locale="fr-FR").new_page()
    parent_page.goto("/compte/connexion/")
    parent_page.get_by_label("Identifiant").fill("guide")
    parent_page.get_by_label("Mot de passe").fill(TEST_PASSWORD)
    parent_page.get_by_role("button", name="Se connecter").click()
    parent_page.get_by_role("link", name="Historiques").first.click()
    parent_page.get_by_role("link", name="Historique des règlements").click()
    row = parent_page.locator("table.history-table tbody tr", has_text="7788123")
    expect(row).to_contain_text("26/11/2026")
    expect(row).to_contain_text("Chèque")
    expect(row).to_contain_text("42,50")
    parent_page.get_by_role("link", name="Solde").first.click()
    expect(parent_page.locator("table.balance-table tbody tr", has_text="Accueil de Loisirs")).to_contain_text("42,50")
    # The request the agent accepted is "Acceptée" in the follow-up; the waiting list waits for the night.
    parent_page.get_by_role("link", name="Suivi").first.click()
    expect(parent_page.get_by_role("heading", name="Suivi des réservations")).to_be_visible()
    christmas = parent_page.locator("table.followup-table tbody tr", has_text="Vacances de Noël 6-12 ans")
    expect(christmas).to_contain_text("21/12/26")
    expect(christmas).to_contain_text("Acceptée")
    wednesday = parent_page.locator("table.followup-table tbody tr", has_text="3-6 ans - Mercredi Matin")
    expect(wednesday).to_contain_text("En liste d'attente")
    audit_page(parent_page, label="suivi après décision du personnel")

    # The night gives the new place to the waiting list, and the report tells both changes.
    sent_before = len(mail.outbox)
    call_command("transmit", "--structure", "carteville", verbosity=0)
    parent_page.reload()
    expect(wednesday).to_contain_text("Acceptée")
    expect(christmas).to_contain_text("Acceptée")
    reports = [m for m in mail.outbox[sent_before:] if m.to == ["denis.guide@example.org"]]
    assert len(reports) == 1
    body = " ".join(reports[0].body.split())
    # Each under its own heading: the place the night gave, the staff's decision of the day.
    assert "Suite de vos demandes précédentes : - 1 place en liste d'attente vous a été attribuée" in body
    assert "Décisions de nos services sur vos demandes en attente : - 1 réservation a été acceptée" in body
    parent_page.context.close()


def test_staff_book_a_day_for_a_child_on_the_parents_behalf_and_the_parent_sees_it(page, carteville):
    """The phone call: the agent opens the family, reads its balance and its next bookings,
    books tomorrow's canteen for Emmy past the deadline (with the reason), and the parent
    then reads « réservé par la structure » in the follow-up."""
    family, emmy = carteville["family"], carteville["emmy"]
    canteen = make_activity(family.structure, name="Restauration Scolaire", amount="3.59",
                            rule=DeadlineRuleFactory(structure=family.structure, name="La veille à 09:00", days=1,
                                                     at_time=datetime.time(9, 0)))
    EnrolmentFactory(child=emmy, activity=canteen)
    OccurrenceFactory(activity=canteen, date=datetime.date(2026, 11, 27))
    admin_login(page, "agent.carteville")

    page.goto("/admin/accounts/family/?q=GUIDE")
    page.get_by_role("link", name="Vue d'ensemble").first.click()
    expect(page.get_by_role("heading", name="Solde et historiques")).to_be_visible()
    expect(page.locator("table.glance-balances")).to_contain_text("Accueil de Loisirs")
    bookings = page.locator("table.glance-bookings")
    expect(bookings).to_contain_text("3-6 ans - Mercredi Matin")
    expect(bookings).to_contain_text("En liste d'attente")

    form = page.locator("form.glance-on-behalf")
    form.get_by_label("Enfant").select_option(label="Emmy GUIDE")
    form.get_by_label("Activité").select_option(label="Restauration Scolaire")
    form.get_by_label("Jour").fill("2026-11-27")
    form.get_by_label("Réserver", exact=True).check()
    form.get_by_role("button", name="Enregistrer pour la famille").click()
    # Past the deadline (the 26th at 09:00): refused until the agent says why.
    expect(page.locator(".messagelist")).to_contain_text("Hors délai")
    form = page.locator("form.glance-on-behalf")
    form.get_by_label("Enfant").select_option(label="Emmy GUIDE")
    form.get_by_label("Activité").select_option(label="Restauration Scolaire")
    form.get_by_label("Jour").fill("2026-11-27")
    form.get_by_label(re.compile("Passer outre les délais")).check()
    form.get_by_label("Motif", exact=True).fill("Reprise du travail demain, appel du père")
    form.get_by_role("button", name="Enregistrer pour la famille").click()
    expect(page.locator(".messagelist .success")).to_contain_text("Emmy, Restauration Scolaire le 27/11/2026 : "
                                                                  "Demande enregistrée (non transmise)")
    expect(page.locator("table.glance-bookings tr", has_text="Restauration Scolaire")).to_contain_text(
        "réservé par la structure")
    audit_page(page, label="vue d'ensemble après réservation pour la famille", phone=False)
    event = Reservation.objects.get(child=emmy, occurrence__activity=canteen).events.get()
    assert event.actor == carteville["agent"] and event.on_behalf and "appel du père" in event.note

    parent_page = page.context.browser.new_context(base_url=page.url.split("/admin")[0], locale="fr-FR").new_page()
    parent_page.goto("/compte/connexion/")
    parent_page.get_by_label("Identifiant").fill("guide")
    parent_page.get_by_label("Mot de passe").fill(TEST_PASSWORD)
    parent_page.get_by_role("button", name="Se connecter").click()
    parent_page.get_by_role("link", name="Suivi").first.click()
    expect(parent_page.get_by_role("heading", name="Suivi des réservations")).to_be_visible()
    canteen_row = parent_page.locator("table.followup-table tbody tr", has_text="Restauration Scolaire")
    expect(canteen_row).to_contain_text("27/11/26")
    expect(canteen_row).to_contain_text("Non transmise — réservé par la structure")
    audit_page(parent_page, label="suivi : réservé par la structure")
    parent_page.context.close()
