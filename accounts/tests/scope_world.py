"""Two structures with one row of every model staff can reach in the admin, and who owns each.

`Alpha` is the staff member's structure, `Ypsilon` the other one: every row of Ypsilon has
"Ypsilon" in its text, so a page that shows one is caught by a plain search for the word.
The owners are written down here as the rows are made, independently of the scoping code
under test. Logins have extra cases: a login shared by families of both structures, a fresh
login (attached to nothing, no way in), logins attached to nothing that do have a way in,
and a superuser.
"""
import datetime
import uuid
from dataclasses import dataclass, field
from decimal import Decimal

from django.utils import timezone

from accounts.models import StaffMembership, ThrottleLock
from accounts.services import staff_user_enrol
from accounts.tests.factories import ChildFactory, FamilyFactory, MessageFactory, StructureFactory, UserFactory
from billing.models import (
    AttemptEvent,
    CreditNote,
    DirectDebitBatch,
    DirectDebitTransaction,
    Invoice,
    InvoiceLine,
    InvoiceReminder,
    InvoiceSettlement,
    InvoicingRun,
    InvoicingSettings,
    Mandate,
    Payment,
    PaymentAttempt,
    ProviderConfig,
    TaxCertificate,
    TaxCreditRule,
)
from billing.tests.factories import (
    ConsumptionFactory,
    PaymentAllocationFactory,
    PaymentFactory,
    TariffFactory,
    TariffRateFactory,
    WalletFactory,
)
from notifications.models import OutboxEmail
from reservations.models import CartConfirmation, Reservation
from reservations.tests.factories import (
    ActivityFactory,
    CartLineFactory,
    ClosureFactory,
    DeadlineRuleFactory,
    EnrolmentFactory,
    OccurrenceFactory,
    ReservationEventFactory,
    ReservationFactory,
    TransmissionRunFactory,
)

MARKER = "ypsilon"


@dataclass
class World:
    alpha: object
    ypsilon: object
    staff: object  # staff of Alpha only: the one who tries
    rows: dict = field(default_factory=lambda: {"alpha": [], "ypsilon": []})

    def ids(self, owner: str, model) -> list[int]:
        return [obj.pk for obj in self.rows[owner] if type(obj) is model]

    def first(self, owner: str, model):
        return next(obj for obj in self.rows[owner] if type(obj) is model)


def _structure_rows(label):
    slug = label.lower()
    structure = StructureFactory(name=f"Mairie {label}", slug=slug)
    staff = UserFactory(username=f"agent.{slug}", first_name="Agent", last_name=label, is_staff=True)
    membership = StaffMembership.objects.create(user=staff, structure=structure)
    staff_user_enrol(user=staff)
    parent = UserFactory(username=f"parent.{slug}", first_name="Parent", last_name=label, email=f"parent@{slug}.example.org")
    family = FamilyFactory(structure=structure, number=f"{label[0]}-001", payer_name=f"{label.upper()} Famille",
                           email=f"famille@{slug}.example.org", users=[parent])
    child = ChildFactory(family=family, first_name=f"Enfant{label}", last_name=label.upper())
    wallet = WalletFactory(structure=structure, name=f"Cantine {label}")
    tariff = TariffFactory(structure=structure, name=f"Tarif {label}")
    rate = TariffRateFactory(tariff=tariff)
    rule = DeadlineRuleFactory(structure=structure, name=f"Veille {label}")
    activity = ActivityFactory(structure=structure, name=f"Accueil {label}", wallet=wallet, tariff=tariff,
                               booking_rule=rule, cancellation_rule=rule, limited_places=True, default_places=5)
    enrolment = EnrolmentFactory(child=child, activity=activity)
    occurrence = OccurrenceFactory(activity=activity, date=datetime.date(2026, 12, 2), places=5, waiting_places=2)
    closure = ClosureFactory(structure=structure, label=f"Fermeture {label}")
    run = TransmissionRunFactory(structure=structure)
    confirmation = CartConfirmation.objects.create(family=family, token=uuid.uuid4())
    reservation = ReservationFactory(occurrence=occurrence, family=family, child=child, confirmation=confirmation,
                                     state=Reservation.State.AWAITING_DECISION)
    event = ReservationEventFactory(reservation=reservation, actor=staff, run=run, note=f"Note {label}")
    cart_line = CartLineFactory(occurrence=occurrence, family=family, child=child)
    payment = PaymentFactory(family=family, payer_name=f"{label.upper()} Payeur", amount=Decimal("20.00"),
                             mode=Payment.Mode.CHEQUE)
    allocation = PaymentAllocationFactory(payment=payment, wallet=wallet, amount=Decimal("20.00"))
    consumption = ConsumptionFactory(family=family, child=child, wallet=wallet, activity_label=f"Repas {label}")
    outbox = OutboxEmail.objects.create(family=family, run=run, kind=OutboxEmail.Kind.NIGHTLY_REPORT,
                                        recipient=family.email, subject=f"Compte rendu {label}", body_text=label,
                                        status=OutboxEmail.Status.FAILED)
    message = MessageFactory(structure=structure, title=f"Information {label}")
    provider = ProviderConfig.objects.create(structure=structure, kind=ProviderConfig.Kind.SYSTEMPAY, identifier="12345678",
                                             secret_test=f"KEY{label}")
    attempt = PaymentAttempt.objects.create(reference=f"{slug}-attempt", structure=structure, family=family, wallet=wallet,
                                            provider_config=provider, provider=provider.kind, amount=Decimal("20.00"),
                                            label=f"Paiement {label}", flag_reason=f"Motif {label}")
    attempt_event = AttemptEvent.objects.create(attempt=attempt, source=AttemptEvent.Source.PARENT, to_state=attempt.state,
                                                note=f"Création {label}")
    lock = ThrottleLock.objects.create(digest=f"{slug}-lock", scope="login", kind="id", user=parent,
                                       locked_until=timezone.now() + datetime.timedelta(hours=1))
    invoicing_settings = InvoicingSettings.objects.create(structure=structure, legal_name=f"Régie {label}")
    invoicing_run = InvoicingRun.objects.create(structure=structure, month=datetime.date(2026, 11, 1))
    invoice = Invoice.objects.create(structure=structure, family=family, run=invoicing_run, month=invoicing_run.month,
                                     payer_name=f"{label.upper()} Payeur facture", total=Decimal("20.00"),
                                     status=Invoice.Status.FINALISED, number=f"F-{label}-1",
                                     issued_on=datetime.date(2026, 12, 1), due_date=datetime.date(2026, 12, 31))
    InvoiceLine.objects.bulk_create([InvoiceLine(invoice=invoice, child=child, child_name=str(child), wallet_name=wallet.name,
                                                 activity_label=f"Repas {label}", date_from=invoicing_run.month,
                                                 date_to=invoicing_run.month, quantity=1, unit_price=20, total=20)])
    credit_note = CreditNote.objects.create(structure=structure, invoice=invoice, number=f"A-{label}-1",
                                            issued_on=datetime.date(2026, 12, 2), total=Decimal("20.00"),
                                            reason=f"Erreur {label}")
    settlement = InvoiceSettlement.objects.create(invoice=invoice, payment=payment, amount=Decimal("20.00"))
    tax_rule = TaxCreditRule.objects.create(structure=structure, activity_label=f"Garderie {label}", share_percent=100)
    mandate = Mandate.objects.create(structure=structure, family=family, reference=f"RUM-{label}",
                                     holder_name=f"{label} Titulaire", iban="FR7630006000011234567890189",
                                     signed_on=datetime.date(2026, 10, 1))
    batch = DirectDebitBatch.objects.create(structure=structure, due_until=datetime.date(2026, 12, 31),
                                            collection_date=datetime.date(2026, 12, 28), message_id=f"MSG-{label}")
    debit_payment = PaymentFactory(family=family, payer_name=f"{label.upper()} Prélevé", amount=Decimal("20.00"),
                                   mode=Payment.Mode.DIRECT_DEBIT)
    debit = DirectDebitTransaction.objects.create(batch=batch, invoice=invoice, mandate=mandate, payment=debit_payment,
                                                  amount=Decimal("20.00"), sequence="FRST", end_to_end_id=f"E2E-{label}")
    reminder = InvoiceReminder.objects.create(invoice=invoice, level=1, sent_on=datetime.date(2027, 1, 7),
                                              amount_due=Decimal("20.00"))
    certificate = TaxCertificate.objects.create(structure=structure, family=family, child=child, year=2026,
                                                number=f"AF-{label}-1", amount=Decimal("20.00"),
                                                child_name=f"{label.upper()} Enfant{label}")
    rows = [structure, staff, membership, parent, family, child, wallet, tariff, rate, rule, activity, enrolment, occurrence,
            closure, run, confirmation, reservation, event, cart_line, payment, allocation, consumption, outbox, message,
            lock, invoicing_settings, invoicing_run, invoice, credit_note, provider, attempt, attempt_event, settlement,
            tax_rule, mandate, batch, debit_payment, debit, reminder, certificate]
    return structure, rows


def build_world():
    alpha, alpha_rows = _structure_rows("Alpha")
    ypsilon, ypsilon_rows = _structure_rows("Ypsilon")
    world = World(alpha=alpha, ypsilon=ypsilon, staff=alpha_rows[1])
    world.rows["alpha"] = alpha_rows
    world.rows["ypsilon"] = ypsilon_rows
    # A parent with a family in each structure: Alpha's staff see the login (not its Ypsilon family).
    shared = UserFactory(username="dupont", first_name="Jean-Paul", last_name="DUPONT")
    FamilyFactory(structure=alpha, number="A-002", payer_name="DUPONT Alpha", users=[shared])
    FamilyFactory(structure=ypsilon, number="Y-002", payer_name="DUPONT Ypsilon", users=[shared])
    fresh = UserFactory(username="nouveau", password="")
    fresh.set_unusable_password()
    fresh.save()
    world.rows["alpha"] += [shared, fresh]
    # Logins attached to nothing but with a way in are nobody's to pick; superusers never are.
    with_password = UserFactory(username="detache.ypsilon", first_name="Détaché", last_name="Ypsilon")
    with_email = UserFactory(username="courriel.ypsilon", email="quelquun@ypsilon.example.org")
    with_email.set_unusable_password()
    with_email.save()
    superuser = UserFactory(username="chef.ypsilon", is_staff=True, is_superuser=True)
    world.rows["ypsilon"] += [with_password, with_email, superuser]
    return world
