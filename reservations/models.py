"""Activities, their dated occurrences, deadline rules, closures, the cart and reservations.

Places counted as taken on an occurrence = accepted + not transmitted without the
waiting mark. Waiting places taken = waiting-listed + not transmitted with the mark
(DESIGN §4). A live reservation is one that still holds (or asks for) a place.
"""
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Child, Family
from billing.models import Tariff, Wallet
from portal.models import Structure

# Deadline rules and closures live in their own module (the same app, the same table names).
from .deadline_models import Closure, DeadlineCutoff, DeadlineRule  # noqa: F401 (re-exported: reservations.models.Closure…)
from .feed_models import CalendarFeed  # noqa: F401 (re-exported)
from .rules.validation import same_structure_errors, times_errors


class Activity(models.Model):
    """What can be booked ("Restauration Scolaire", "3-6 ans - Mercredi Matin") and its rules."""

    structure = models.ForeignKey(Structure, on_delete=models.PROTECT, related_name="activities", verbose_name=_("structure"))
    name = models.CharField(_("nom"), max_length=150)
    wallet = models.ForeignKey(Wallet, on_delete=models.PROTECT, related_name="activities", verbose_name=_("porte-monnaie"))
    tariff = models.ForeignKey(Tariff, on_delete=models.PROTECT, null=True, blank=True, related_name="activities",
                               verbose_name=_("tarif"))
    limited_places = models.BooleanField(_("places limitées"), default=False)
    default_places = models.PositiveIntegerField(_("places par défaut"), default=0)
    default_waiting_places = models.PositiveIntegerField(_("places en liste d'attente par défaut"), default=0)
    arrival_time = models.TimeField(_("heure d'arrivée"))
    departure_time = models.TimeField(_("heure de départ"))
    arrival_typed = models.BooleanField(_("heure d'arrivée saisie par le parent"), default=False)
    arrival_earliest = models.TimeField(_("arrivée au plus tôt"), null=True, blank=True)
    arrival_latest = models.TimeField(_("arrivée au plus tard"), null=True, blank=True)
    needs_staff_decision = models.BooleanField(_("demandes validées par le personnel"), default=False)
    booking_rule = models.ForeignKey(
        DeadlineRule, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("délai de réservation"),
    )
    cancellation_rule = models.ForeignKey(
        DeadlineRule, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("délai d'annulation"),
    )
    opens_days_ahead = models.PositiveIntegerField(
        _("réservable à partir de N jours avant"), null=True, blank=True,
        help_text=_("Vide : pas de limite. 60 = les réservations ouvrent 60 jours avant le jour."),
    )
    opens_on = models.DateField(_("réservable à partir du"), null=True, blank=True)
    closed_during_school_holidays = models.BooleanField(_("fermée pendant les vacances scolaires"), default=True)
    charge_unexcused_absence = models.BooleanField(_("facturer les absences non justifiées"), default=True)
    position = models.PositiveSmallIntegerField(_("ordre d'affichage"), default=0)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("activité")
        verbose_name_plural = _("activités")
        ordering = ["structure", "position", "name"]

    def __str__(self):
        return self.name

    def clean(self):
        errors = times_errors(arrival=self.arrival_time, departure=self.departure_time, earliest=self.arrival_earliest,
                              latest=self.arrival_latest)
        related = {field: getattr(self, field).structure_id if getattr(self, f"{field}_id") else None
                   for field in ("wallet", "tariff", "booking_rule", "cancellation_rule")}
        errors.update(same_structure_errors(structure_id=self.structure_id, related=related))
        if errors:
            raise ValidationError(errors)


class Enrolment(models.Model):
    """A child may book an activity over a period (e.g. "3-6 ans" for the school year)."""

    child = models.ForeignKey(Child, on_delete=models.CASCADE, related_name="enrolments", verbose_name=_("enfant"))
    activity = models.ForeignKey(Activity, on_delete=models.CASCADE, related_name="enrolments", verbose_name=_("activité"))
    start_date = models.DateField(_("du"))
    end_date = models.DateField(_("au"))
    age_group = models.CharField(_("tranche d'âge"), max_length=30, blank=True)

    structure_path = "activity__structure"

    class Meta:
        verbose_name = _("inscription")
        verbose_name_plural = _("inscriptions")
        indexes = [models.Index(fields=["child", "activity"])]

    def __str__(self):
        return f"{self.child} — {self.activity}"


class Occurrence(models.Model):
    """One activity on one date, with its own times and places."""

    activity = models.ForeignKey(Activity, on_delete=models.CASCADE, related_name="occurrences", verbose_name=_("activité"))
    date = models.DateField(_("date"))
    arrival_time = models.TimeField(_("heure d'arrivée"))
    departure_time = models.TimeField(_("heure de départ"))
    places = models.PositiveIntegerField(_("places"), default=0)
    waiting_places = models.PositiveIntegerField(_("places en liste d'attente"), default=0)
    # Closed by staff (a strike, a trip cancelled): nothing can be booked and the night refuses its requests.
    is_closed = models.BooleanField(_("fermée"), default=False)
    # The day's counters (DESIGN §4's counting), kept by a database trigger on the reservations
    # in the same transaction as every write that changes them (reservations.counters): the
    # cart's confirmation claims a place by reading them under the day's lock. Never written
    # by save() (an admin form loaded a minute ago would put back old numbers).
    places_taken = models.PositiveIntegerField(_("places prises"), default=0, editable=False)
    waiting_places_taken = models.PositiveIntegerField(_("places en liste d'attente prises"), default=0, editable=False)
    # Places counted on the occurrences reservations.rules loads (attributes set from the rows, not columns).
    taken: int
    waiting_taken: int

    COUNTERS = ("places_taken", "waiting_places_taken")

    structure_path = "activity__structure"

    class Meta:
        verbose_name = _("journée d'activité")
        verbose_name_plural = _("journées d'activité")
        ordering = ["date", "activity__position", "activity__name"]
        constraints = [models.UniqueConstraint(fields=["activity", "date"], name="occurrence_unique_per_activity_day")]
        indexes = [models.Index(fields=["date", "activity"])]

    def __str__(self):
        return f"{self.activity} — {self.date:%d/%m/%Y}"

    def save(self, *args, **kwargs):
        """An update writes every field but the counters (only the trigger writes those)."""
        if not self._state.adding and self.pk is not None and kwargs.get("update_fields") is None:
            kwargs["update_fields"] = [field.name for field in self._meta.concrete_fields
                                       if not field.primary_key and field.name not in self.COUNTERS]
        super().save(*args, **kwargs)

    def clean(self):
        errors = times_errors(arrival=self.arrival_time, departure=self.departure_time)
        if errors:
            raise ValidationError(errors)


class TransmissionRun(models.Model):
    """One run of the nightly transmission for one structure."""

    class Status(models.TextChoices):
        RUNNING = "running", _("En cours")
        FINISHED = "finished", _("Terminée")
        FAILED = "failed", _("Échouée")

    structure = models.ForeignKey(Structure, on_delete=models.PROTECT, related_name="transmission_runs",
                                  verbose_name=_("structure"))
    started_at = models.DateTimeField(_("début"), auto_now_add=True)
    finished_at = models.DateTimeField(_("fin"), null=True, blank=True)
    status = models.CharField(_("état"), max_length=10, choices=Status.choices, default=Status.RUNNING)
    # The night's figures, counted from the rows it wrote when it ends or is taken over
    # (reservations.nightly.figures), never from counters kept in memory.
    counts = models.JSONField(_("compteurs"), default=dict, blank=True)
    started_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
                                   verbose_name=_("lancée par"))
    # Chunked runs (TRANSMISSION_FAN_OUT="chunks"): the occurrence ids of each chunk and the
    # indexes of the chunks settled, so the watchdog can settle those a dead worker left.
    chunked = models.BooleanField(_("découpée"), default=False)
    chunks = models.JSONField(_("découpage"), default=list, blank=True)
    chunks_done = models.JSONField(_("morceaux traités"), default=list, blank=True)
    # Its finish, shared too (reservations.nightly.finish): the families cut into ranges of ids
    # ([first, last], both included; together every id), the indexes of the ranges whose reports
    # are written, and whether the past days' consumptions are posted.
    report_ranges = models.JSONField(_("tranches de familles"), default=list, blank=True)
    report_ranges_done = models.JSONField(_("tranches de comptes rendus écrites"), default=list, blank=True)
    posting_done = models.BooleanField(_("consommations passées"), default=False)
    # Last sign of life (a chunk or a page of days settled, a phase begun): the watchdog
    # finishes a run whose progress stopped for TRANSMISSION_STALL_SECONDS.
    progress_at = models.DateTimeField(_("dernier progrès"), null=True, blank=True)
    # The run that found this one dead (its process killed) and finished its work.
    taken_over_by = models.ForeignKey("self", on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
                                      verbose_name=_("reprise par"))

    class Meta:
        verbose_name = _("transmission")
        verbose_name_plural = _("transmissions")
        ordering = ["-started_at"]
        indexes = [models.Index(fields=["structure", "status", "-finished_at"])]

    def __str__(self):
        # Europe/Paris, as everywhere staff read a time (the outbox listed runs in UTC beside local times).
        if self.started_at is None:
            return str(self.structure)
        return f"{self.structure} — {timezone.localtime(self.started_at):%d/%m/%Y %H:%M}"


class CartConfirmation(models.Model):
    """One "Valider réellement": its token makes a replayed confirmation record nothing twice."""

    family = models.ForeignKey(Family, on_delete=models.CASCADE, related_name="cart_confirmations", verbose_name=_("famille"))
    token = models.UUIDField(_("jeton"), unique=True)
    created_at = models.DateTimeField(_("le"), auto_now_add=True)
    result = models.JSONField(_("résultat"), default=list, blank=True)

    structure_path = "family__structure"

    class Meta:
        verbose_name = _("validation de panier")
        verbose_name_plural = _("validations de panier")

    def __str__(self):
        return f"{self.family} — {timezone.localtime(self.created_at):%d/%m/%Y %H:%M}" if self.created_at else str(self.family)


class Reservation(models.Model):
    """One child's request on one occurrence, with its state; every change is an event."""

    class State(models.TextChoices):
        NOT_TRANSMITTED = "not_transmitted", _("Non transmise")
        AWAITING_DECISION = "awaiting_decision", _("En attente réponse")
        WAITING_LIST = "waiting_list", _("En liste d'attente")
        ACCEPTED = "accepted", _("Acceptée")
        CANCELLED = "cancelled", _("Annulée")
        REFUSED = "refused", _("Refusée")

    class Attendance(models.TextChoices):
        PRESENT = "present", _("Présent")
        ABSENT = "absent", _("Absent")
        EXCUSED = "excused", _("Absence justifiée")

    LIVE_STATES = (State.NOT_TRANSMITTED, State.AWAITING_DECISION, State.WAITING_LIST, State.ACCEPTED)
    # What the night acts on (reservations.nightly.settle.pending_occurrences): a request to
    # transmit, or a cancellation request on a booking that still holds a place.
    MOVEMENT = Q(state=State.NOT_TRANSMITTED) | Q(cancel_requested_at__isnull=False,
                                                  state__in=[State.ACCEPTED, State.WAITING_LIST, State.AWAITING_DECISION])

    # No index of their own: (family, state) and reservation_place_count_idx (occurrence, …) start
    # with them. Every index is written by each state change of the night; fewer is faster.
    family = models.ForeignKey(Family, on_delete=models.PROTECT, related_name="reservations", verbose_name=_("famille"),
                               db_index=False)
    child = models.ForeignKey(Child, on_delete=models.PROTECT, related_name="reservations", verbose_name=_("enfant"))
    occurrence = models.ForeignKey(Occurrence, on_delete=models.PROTECT, related_name="reservations", verbose_name=_("journée"),
                                   db_index=False)
    state = models.CharField(_("état"), max_length=20, choices=State.choices, default=State.NOT_TRANSMITTED)
    # Not transmitted but already counted on the waiting list at confirm time ("Mise en liste d'attente").
    waiting_mark = models.BooleanField(_("mise en liste d'attente"), default=False)
    # Set when the parent asks to cancel an accepted / waiting-listed request; applied at night.
    cancel_requested_at = models.DateTimeField(_("annulation demandée le"), null=True, blank=True)
    arrival_time = models.TimeField(_("heure d'arrivée"))
    departure_time = models.TimeField(_("heure de départ"))
    # The price quoted at confirm time is the price charged.
    unit_price = models.DecimalField(_("prix unitaire"), max_digits=10, decimal_places=4, default=0)
    quantity = models.DecimalField(_("quantité"), max_digits=8, decimal_places=2, default=1)
    cost = models.DecimalField(_("coût (€)"), max_digits=10, decimal_places=2, default=0)
    # Not indexed: read in order within a day only (after the day's index), never searched by.
    submitted_at = models.DateTimeField(_("demandée le"))
    confirmation = models.ForeignKey(CartConfirmation, on_delete=models.SET_NULL, null=True, blank=True,
                                     related_name="reservations")
    attendance = models.CharField(_("présence"), max_length=10, choices=Attendance.choices, blank=True)
    consumption_posted_at = models.DateTimeField(_("consommation passée le"), null=True, blank=True)
    # The run that posted it (or decided not to charge it): a night's posting figures are counted from these.
    # Indexed where set only (Meta): a request changes state before it is ever posted, and each
    # change writes every index that holds the row (issue 16).
    posted_in = models.ForeignKey("TransmissionRun", on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
                                  verbose_name=_("passée par la transmission"), db_index=False)

    structure_path = "family__structure"

    class Meta:
        verbose_name = _("réservation")
        verbose_name_plural = _("réservations")
        ordering = ["occurrence__date", "submitted_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["child", "occurrence"],
                condition=Q(state__in=["not_transmitted", "awaiting_decision", "waiting_list", "accepted"]),
                name="one_live_reservation_per_child_and_day",
            ),
        ]
        indexes = [
            # (occurrence, state) is the start of reservation_place_count_idx: no index of its own.
            models.Index(fields=["family", "state"]),
            # Places left on a month of days in one index-only scan (reservations.rules.places.place_counts).
            models.Index(fields=["occurrence", "state", "waiting_mark"], name="reservation_place_count_idx"),
            # The days the night has to visit, from the pending rows alone (Reservation.MOVEMENT,
            # spelt out: Meta cannot see the class's names). The night's own writes add nothing
            # to it — a settled row leaves the condition —, the cart's new requests one entry each.
            models.Index(fields=["posted_in"], name="reservation_posted_in_idx", condition=Q(posted_in__isnull=False)),
            models.Index(fields=["occurrence"], name="reservation_movement_idx",
                         condition=Q(state="not_transmitted") | Q(cancel_requested_at__isnull=False,
                                                                  state__in=["accepted", "waiting_list", "awaiting_decision"])),
        ]

    def __str__(self):
        return f"{self.child} — {self.occurrence}"


class ReservationEvent(models.Model):
    """What happened to a reservation, who did it, and in which nightly run.

    Written once, never updated: what the families have been told of them is recorded per
    family, not per event (notifications.models.ReportWatermark) — marking each event told was
    one more row version and five index entries per event every night (issue 16)."""

    class Kind(models.TextChoices):
        # Written by the cart at confirm time.
        REQUESTED = "requested", _("Demande de réservation")
        CANCEL_REQUESTED = "cancel_requested", _("Demande d'annulation")
        CANCELLED_BEFORE_TRANSMISSION = "cancelled", _("Annulée avant transmission")
        # Written by the night (and by staff decisions: accepted / refused).
        CANCELLATION_APPLIED = "cancellation_applied", _("Annulation appliquée")
        ACCEPTED = "accepted", _("Acceptée")
        AWAITING_DECISION = "awaiting_decision", _("En attente réponse")
        WAITING_LIST = "waiting_list", _("Mise en liste d'attente")
        REFUSED = "refused", _("Refusée")
        PROMOTED = "promoted", _("Place attribuée depuis la liste d'attente")

    # The event that answers a request, by the state it answers with (the night, staff, the demo).
    ANSWER_KINDS = {
        Reservation.State.ACCEPTED: Kind.ACCEPTED, Reservation.State.AWAITING_DECISION: Kind.AWAITING_DECISION,
        Reservation.State.WAITING_LIST: Kind.WAITING_LIST, Reservation.State.REFUSED: Kind.REFUSED,
        Reservation.State.CANCELLED: Kind.CANCELLED_BEFORE_TRANSMISSION,
    }

    # No foreign key constraint in the database on the reservation and the run, only their indexes
    # (issue 16): PostgreSQL checks such a key one row at a time, with a query each, and the night
    # writes 100,000 events at a time — 200,000 checks, 1.7 s of its 15. Nothing is lost: the night
    # writes each event in the statement that updates its reservation (UPDATE … RETURNING feeds the
    # INSERT), for the run it is, and Django still applies on_delete (CASCADE, SET_NULL) itself.
    reservation = models.ForeignKey(Reservation, on_delete=models.CASCADE, related_name="events", verbose_name=_("réservation"),
                                    db_constraint=False)
    at = models.DateTimeField(_("le"), auto_now_add=True)
    kind = models.CharField(_("mouvement"), max_length=40, choices=Kind.choices)
    from_state = models.CharField(_("état avant"), max_length=20, blank=True)
    to_state = models.CharField(_("état après"), max_length=20, blank=True)
    # Indexed where set only (Meta): the night's events have no actor.
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
                              verbose_name=_("par"), db_index=False)
    run = models.ForeignKey(TransmissionRun, on_delete=models.SET_NULL, null=True, blank=True, related_name="events",
                            verbose_name=_("transmission"), db_constraint=False)
    note = models.CharField(_("remarque"), max_length=200, blank=True)
    # Staff did it for the family from the family at a glance (the parent reads "réservé par la
    # structure"); the note says why when they set the deadlines aside.
    on_behalf = models.BooleanField(_("par la structure pour la famille"), default=False, db_default=False)
    structure_path = "reservation__family__structure"

    class Meta:
        verbose_name = _("mouvement")
        verbose_name_plural = _("mouvements")
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["actor"], name="reservationevent_actor_idx", condition=Q(actor__isnull=False))]

    def __str__(self):
        return f"{self.kind}: {self.from_state} → {self.to_state}"


class CartLine(models.Model):
    """A click not yet confirmed: book or cancel one child's day. Kept server-side per family."""

    class Action(models.TextChoices):
        BOOK = "book", _("Réserver")
        CANCEL = "cancel", _("Annuler")

    family = models.ForeignKey(Family, on_delete=models.CASCADE, related_name="cart_lines", verbose_name=_("famille"))
    child = models.ForeignKey(Child, on_delete=models.CASCADE, related_name="cart_lines", verbose_name=_("enfant"))
    occurrence = models.ForeignKey(Occurrence, on_delete=models.CASCADE, related_name="cart_lines", verbose_name=_("journée"))
    action = models.CharField(_("action"), max_length=10, choices=Action.choices)
    arrival_time = models.TimeField(_("heure d'arrivée"), null=True, blank=True)
    created_at = models.DateTimeField(_("ajoutée le"), auto_now_add=True)

    structure_path = "family__structure"

    class Meta:
        verbose_name = _("ligne de panier")
        verbose_name_plural = _("lignes de panier")
        ordering = ["occurrence__date", "child_id", "id"]
        constraints = [models.UniqueConstraint(fields=["family", "child", "occurrence"], name="one_cart_line_per_child_and_day")]

    def __str__(self):
        return f"{self.get_action_display()} {self.child} {self.occurrence}"
