"""The staff home (what needs doing), the family at a glance, lifting a lock, reading an e-mail.

These pages are assembled from panels each app registers (accounts.staff_panels), so their
tests live here, above every app.
"""
import datetime
from decimal import Decimal

import pytest
import time_machine
from django.urls import reverse

from accounts import throttle
from accounts.models import ThrottleLock, User
from accounts.services import staff_user_enrol
from accounts.tests.factories import (
    TEST_PASSWORD,
    ChildFactory,
    FamilyFactory,
    StaffMembershipFactory,
    StructureFactory,
    UserFactory,
)
from billing.ledger.services import consumption_post, payment_record
from notifications.models import OutboxEmail
from reservations.models import Reservation, TransmissionRun
from reservations.tests.booking_world import make_activity
from reservations.tests.factories import OccurrenceFactory, ReservationFactory, WalletFactory

State = Reservation.State
NOW = datetime.datetime(2026, 11, 26, 10, 0, tzinfo=datetime.UTC)


@pytest.fixture
def clock():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def town(db):
    return StructureFactory(name="Mairie de CarteVille", slug="carteville")


@pytest.fixture
def other(db):
    return StructureFactory(name="Association Les Cambianes", slug="cambianes")


@pytest.fixture
def staff(client, town):
    membership = StaffMembershipFactory(structure=town, user=UserFactory(username="agent", is_staff=True))
    staff_user_enrol(user=membership.user)
    client.force_login(membership.user)
    return client


def fresh_login(username, family):
    user = User(username=username)
    user.set_unusable_password()
    user.save()
    family.users.add(user)
    return user


def world(structure, clock_day=datetime.date(2026, 11, 26)):
    """A family with a request to decide, a full day with a waiting list and a free place, a failed
    e-mail, one without address, a login not activated and a finished night run."""
    family = FamilyFactory(structure=structure, payer_name=f"GUIDE {structure.slug}")
    child = ChildFactory(family=family, first_name="Emmy")
    decide = make_activity(structure, name=f"Vacances {structure.slug}", needs_staff_decision=True)
    ReservationFactory(occurrence=OccurrenceFactory(activity=decide, date=clock_day + datetime.timedelta(days=20)),
                       family=family, child=child, state=State.AWAITING_DECISION, submitted_at=NOW)
    limited = make_activity(structure, name=f"Mercredi {structure.slug}", places=2, waiting=2)
    day = OccurrenceFactory(activity=limited, date=clock_day + datetime.timedelta(days=6), places=2, waiting_places=2)
    ReservationFactory(occurrence=day, family=family, child=child, state=State.WAITING_LIST, submitted_at=NOW)
    for status in (OutboxEmail.Status.FAILED, OutboxEmail.Status.NO_ADDRESS):
        OutboxEmail.objects.create(family=family, kind=OutboxEmail.Kind.NIGHTLY_REPORT, subject="Compte rendu",
                                   body_text="Bonjour", status=status)
    fresh_login(f"pas.active.{structure.slug}", family)
    TransmissionRun.objects.create(structure=structure, status=TransmissionRun.Status.FINISHED, finished_at=NOW,
                                   counts={"occurrences": 3, "accepted": 12, "consumptions_posted": 40})
    return family


def test_staff_home_says_what_needs_doing_in_their_structure_only(staff, town, other, clock, django_assert_max_num_queries):
    world(town)
    world(other)
    with django_assert_max_num_queries(30):
        page = staff.get(reverse("admin:index")).content.decode()
    assert "1</strong> demande en attente de votre décision" in page
    assert "1</strong> journée avec une liste d&#x27;attente et des places libres" in page
    assert "1</strong> e-mail en échec" in page
    assert "famille sans adresse" in page
    assert "1</strong> identifiant de famille pas encore activé" in page
    # The last night, in words.
    assert "12 acceptées" in page and "40 consommations passées" in page and "consumptions_posted" not in page
    assert "Mairie de CarteVille" in page and "Association Les Cambianes" not in page
    # The links lead to lists showing exactly those rows.
    occurrences = staff.get(reverse("admin:reservations_occurrence_changelist") + "?attente=places_libres")
    assert occurrences.context["cl"].result_count == 1
    logins = staff.get(reverse("admin:accounts_user_changelist") + "?active=non")
    assert [user.username for user in logins.context["cl"].result_list] == ["pas.active.carteville"]


def test_staff_see_and_lift_the_locks_of_their_logins(staff, client, town, other, settings):
    FamilyFactory(structure=town, users=[UserFactory(username="dupont")])
    FamilyFactory(structure=other, users=[UserFactory(username="martin")])
    anonymous = client.__class__()
    for username in ("dupont", "martin"):
        for _ in range(settings.THROTTLE_MAX_FAILURES):
            anonymous.post(reverse("accounts:login"), {"username": username, "password": "faux"},
                           REMOTE_ADDR=f"203.0.113.{len(username)}")
    assert anonymous.post(reverse("accounts:login"), {"username": "dupont", "password": TEST_PASSWORD}).status_code == 429
    assert "1</strong> connexion bloquée" in staff.get(reverse("admin:index")).content.decode()
    listing = staff.get(reverse("admin:accounts_throttlelock_changelist"))
    assert [str(lock) for lock in listing.context["cl"].result_list] == ["dupont"]

    dupont_lock = ThrottleLock.objects.get(user__username="dupont")
    martin_lock = ThrottleLock.objects.get(user__username="martin")
    staff.post(reverse("admin:accounts_throttlelock_changelist"),
               {"action": "unlock", "_selected_action": [dupont_lock.pk, martin_lock.pk]})
    assert anonymous.post(reverse("accounts:login"), {"username": "dupont", "password": TEST_PASSWORD}).status_code == 302
    # Another structure's login stays locked: not theirs to lift.
    assert ThrottleLock.objects.filter(user__username="martin").exists()
    assert throttle.seconds_locked(throttle.subjects(scope=throttle.LOGIN, request=listing.wsgi_request,
                                                     identifier="martin")[:1]) > 0


def test_family_at_a_glance_shows_balance_days_to_come_and_emails(staff, town, other, clock, django_assert_max_num_queries):
    family = world(town)
    wallet = WalletFactory(structure=town, name="Restauration")
    consumption_post(family=family, wallet=wallet, day=datetime.date(2026, 11, 20), activity_label="Restauration Scolaire",
                     unit_price=Decimal("3.59"), child=family.children.get())
    payment_record(family=family, date=datetime.date(2026, 11, 2), mode="cheque", amount=Decimal("2.00"),
                   allocations=[(wallet, Decimal("2.00"))], piece_number="778812")
    url = reverse("admin:accounts_family_glance", args=[family.pk])
    with django_assert_max_num_queries(30):
        page = staff.get(url).content.decode()
    assert "−1,59" in page or "-1,59" in page
    assert "Montant dû" in page and "1,59" in page
    assert "Restauration Scolaire" in page and "778812" in page
    assert "Mercredi carteville" in page and "En liste d&#x27;attente" in page
    assert "Vacances carteville" in page and "En attente réponse" in page
    assert "Compte rendu" in page and "Échec" in page
    assert "pas.active.carteville" in page and "pas encore activé" in page
    # Another structure's family is not found.
    elsewhere = FamilyFactory(structure=other)
    assert staff.get(reverse("admin:accounts_family_glance", args=[elsewhere.pk])).status_code == 404


def test_outbox_shows_the_rendered_email_in_a_sandbox_not_its_source(staff, town):
    family = FamilyFactory(structure=town)
    email = OutboxEmail.objects.create(family=family, kind=OutboxEmail.Kind.NIGHTLY_REPORT, subject="Compte rendu",
                                       body_text="Bonjour,\nvoici le compte rendu.",
                                       body_html='<p style="color: #333">Bonjour <script>alert(1)</script></p>')
    page = staff.get(reverse("admin:notifications_outboxemail_change", args=[email.pk])).content.decode()
    assert "&lt;p style=" not in page and "<script>alert" not in page
    assert '<iframe class="email-preview" sandbox=""' in page
    assert "voici le compte rendu." in page
    preview = staff.get(reverse("admin:notifications_outboxemail_preview", args=[email.pk]))
    assert preview["Content-Security-Policy"].startswith("sandbox;")
    assert "script-src" not in preview["Content-Security-Policy"] and "default-src 'none'" in preview["Content-Security-Policy"]
    assert preview["X-Frame-Options"] == "SAMEORIGIN"
    other_family = FamilyFactory(structure=StructureFactory(slug="ailleurs"))
    theirs = OutboxEmail.objects.create(family=other_family, kind=OutboxEmail.Kind.NIGHTLY_REPORT, subject="x", body_text="x",
                                        body_html="<p>x</p>")
    assert staff.get(reverse("admin:notifications_outboxemail_preview", args=[theirs.pk])).status_code == 404


def test_admin_times_are_in_paris(staff, town):
    run = TransmissionRun.objects.create(structure=town, status=TransmissionRun.Status.FINISHED)
    TransmissionRun.objects.filter(pk=run.pk).update(started_at=datetime.datetime(2026, 11, 26, 12, 38, tzinfo=datetime.UTC))
    run.refresh_from_db()
    assert str(run).endswith("26/11/2026 13:38")
