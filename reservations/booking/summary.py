"""The cart's summary ("Valider", DESIGN §4 step 2): two tables, a token, a fingerprint.

Reads only. The summary issues what the confirmation requires (``summary_shown``), so a
cart is confirmed only after its summary was shown:

- the token, signed with the family and the moment it was issued: the confirmation
  accepts it for SUMMARY_MAX_AGE; the confirmation id inside it makes a replayed form
  record nothing twice;
- the fingerprint, signed too and bound to the token: what the parent was shown, line by
  line, so that the confirmation can say what changed since (``changes_since_summary``).

Nothing is stored at summary time: a summary shown and never confirmed leaves no row.
"""
from __future__ import annotations

import datetime
import uuid
from dataclasses import dataclass
from decimal import Decimal
from typing import NamedTuple

from django.core import signing
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from billing.money import format_money
from reservations.models import CartLine
from reservations.rules import context_reads as reads
from reservations.rules.availability import BOOK, CANCEL, evaluate, price
from reservations.rules.context import Context, load_context
from reservations.rules.places import places_left

from .cart import BookingRefused

TOKEN_SALT = "reservations.booking.summary.token"
FINGERPRINT_SALT = "reservations.booking.summary.fingerprint"
# How long a summary can be confirmed after it was shown: past that, prices and places
# may have moved a lot, so the parent reads it again.
SUMMARY_MAX_AGE = datetime.timedelta(hours=1)


class SummaryNotShown(BookingRefused):
    """Confirming without the token and fingerprint of a summary shown to this family (or
    with ones too old): nothing is recorded, the parent displays the summary again."""


@dataclass
class SummaryLine:
    line_id: int
    date: datetime.date
    activity: str
    child: str
    arrival: datetime.time
    departure: datetime.time
    cost: Decimal | None
    cost_text: str
    status: str          # "ok", "waiting", or the French reason it would not go through now
    note: str
    warning: str = ""    # a booking that could not be cancelled once confirmed says so


@dataclass
class CartSummary:
    bookings: list
    cancellations: list
    total_bookings: Decimal
    total_cancellations: Decimal
    token: str
    fingerprint: str

    @property
    def is_empty(self) -> bool:
        return not self.bookings and not self.cancellations

    @property
    def total_text(self) -> str:
        return format_money(self.total_bookings)

    @property
    def cancellations_text(self) -> str:
        return format_money(self.total_cancellations)


def _cart_context(*, family, now) -> tuple[list[CartLine], Context | None]:
    lines = reads.family_cart(family=family)
    if not lines:
        return [], None
    ctx = load_context(
        family=family, child_ids=sorted({line.child_id for line in lines}),
        start=min(line.occurrence.date for line in lines), end=max(line.occurrence.date for line in lines),
        now=now, occurrence_ids=sorted({line.occurrence_id for line in lines}), cart_lines=lines,
        occurrences=[line.occurrence for line in lines],
    )
    return lines, ctx


class LineStatus(NamedTuple):
    status: str                 # "ok" / "waiting" / the French reason it would fail now
    note: str
    cost: Decimal | None
    final_once_booked: bool     # a booking that could not be cancelled once confirmed


def _line_status(ctx: Context, line: CartLine) -> LineStatus:
    """What a cart line would give if confirmed now."""
    occurrence = ctx.occurrences.get(line.occurrence_id)
    if occurrence is None:
        return LineStatus(_("Journée introuvable."), "", None, False)
    slot = evaluate(ctx, occurrence, line.child_id)
    if line.action == CANCEL:
        reservation = slot.reservation
        return LineStatus(slot.cancel_reason or "ok", "", reservation.cost if reservation else None, False)
    quoted = price(ctx, occurrence, arrival=line.arrival_time)
    cost = quoted.total if quoted else None
    if slot.book_reason:
        return LineStatus(slot.book_reason, "", cost, False)
    left, _waiting = places_left(occurrence)
    if left is not None and left <= 0:
        return LineStatus("waiting", _("Sera mise en liste d'attente (plus de place)."), cost, slot.final_once_booked)
    return LineStatus("ok", "", cost, slot.final_once_booked)


def cart_summary(*, family, now: datetime.datetime) -> CartSummary:
    """The two tables of "Valider", a fresh confirmation token and a signed fingerprint."""
    lines, ctx = _cart_context(family=family, now=now)
    bookings: list[SummaryLine] = []
    cancellations: list[SummaryLine] = []
    seen: list[list] = []
    for line in lines:
        assert ctx is not None   # a cart with lines comes with their context
        status, note, cost, final = _line_status(ctx, line)
        if status not in ("ok", "waiting") and not note:
            note = status
        warning = ""
        if final:
            warning = _("Une fois validée, cette réservation ne pourra plus être annulée (délai d'annulation dépassé).")
        occurrence = line.occurrence
        entry = SummaryLine(
            line_id=line.id, date=occurrence.date, activity=occurrence.activity.name, child=line.child.first_name,
            arrival=line.arrival_time or occurrence.arrival_time, departure=occurrence.departure_time,
            cost=cost, cost_text=format_money(cost) if cost is not None else _("tarif non défini"), status=status, note=note,
            warning=warning,
        )
        (bookings if line.action == BOOK else cancellations).append(entry)
        seen.append([line.id, line.action, str(cost) if cost is not None else None, status])
    total_b = sum((entry.cost or Decimal("0") for entry in bookings), Decimal("0.00"))
    total_c = sum((entry.cost or Decimal("0") for entry in cancellations), Decimal("0.00"))
    confirmation_id = str(uuid.uuid4())
    return CartSummary(
        bookings=bookings, cancellations=cancellations, total_bookings=total_b, total_cancellations=total_c,
        token=signing.dumps({"family": family.pk, "confirmation": confirmation_id}, salt=TOKEN_SALT),
        fingerprint=signing.dumps({"confirmation": confirmation_id, "lines": seen}, salt=FINGERPRINT_SALT, compress=True),
    )


@dataclass(frozen=True)
class ShownSummary:
    """What the confirmation learns from a summary's token and fingerprint."""

    confirmation_id: uuid.UUID        # the idempotency key: one CartConfirmation per summary shown
    seen: dict                        # line id → [line id, action, cost, status] as shown
    token: str

    def check_fresh(self) -> None:
        """Raise SummaryNotShown if the summary was shown more than SUMMARY_MAX_AGE ago."""
        try:
            signing.loads(self.token, salt=TOKEN_SALT, max_age=SUMMARY_MAX_AGE)
        except signing.SignatureExpired:
            raise SummaryNotShown(_("Ce récapitulatif a plus d'une heure : affichez-le à nouveau avant de valider.")) from None


def summary_shown(*, family, token: str, fingerprint: str) -> ShownSummary:
    """The summary the parent was shown, from the token and fingerprint it issued; raises
    SummaryNotShown when either is missing, forged, another family's, or from another summary.
    Its age is checked apart (``ShownSummary.check_fresh``): a confirmed summary replayed
    later still shows its result."""
    refused = SummaryNotShown(_("Rien n'a été validé : affichez le récapitulatif avant de valider."))
    try:
        issued = signing.loads(str(token or ""), salt=TOKEN_SALT)
        shown = signing.loads(str(fingerprint or ""), salt=FINGERPRINT_SALT)
        confirmation_id = uuid.UUID(str(issued["confirmation"]))
        seen = {row[0]: row for row in shown["lines"]}
        same_summary = issued["family"] == family.pk and shown["confirmation"] == str(confirmation_id)
    except (signing.BadSignature, TypeError, ValueError, KeyError, IndexError):
        raise refused from None
    if not same_summary:
        raise refused
    return ShownSummary(confirmation_id=confirmation_id, seen=seen, token=str(token))


def changes_since_summary(ctx: Context, lines, seen: dict) -> list[str]:
    """What changed between the summary shown (``seen``, from ``summary_shown``) and now."""
    changes = []
    for line in lines:
        status, _note, cost, _final = _line_status(ctx, line)
        label = f"{line.occurrence.date:%d/%m/%Y} {line.occurrence.activity.name} ({line.child.first_name})"
        before = seen.get(line.id)
        if before is None:
            changes.append(_("%(line)s : ajouté au panier après le récapitulatif.") % {"line": label})
            continue
        cost_text = str(cost) if cost is not None else None
        if before[2] != cost_text:
            changes.append(_("%(line)s : le prix est passé de %(old)s à %(new)s.") % {
                "line": label, "old": format_money(Decimal(before[2])) if before[2] else "—",
                "new": format_money(cost) if cost is not None else "—"})
        if before[3] != status:
            changes.append(_("%(line)s : la disponibilité a changé depuis le récapitulatif.") % {"line": label})
    gone = set(seen) - {line.id for line in lines}
    if gone:
        changes.append(ngettext("%(count)s ligne du récapitulatif n'est plus dans le panier.",
                                "%(count)s lignes du récapitulatif ne sont plus dans le panier.",
                                len(gone)) % {"count": len(gone)})
    return changes
