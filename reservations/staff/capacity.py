"""Staff changing a day's places: what the requests hold, and the change itself.

Lowering the places below the requests holding one (or the waiting places below the
waiting list) needs the staff member's confirmation; what then happens is the night's
(reservations.nightly.plan, step 4): accepted requests and those awaiting a decision keep
their place, requests not transmitted yet that no longer fit go to the waiting list or
are refused, the waiting list is cut from its end — each with a reason the family reads.
"""
from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction
from django.db.models import Count, Q
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from reservations.models import Occurrence, Reservation

State = Reservation.State


@dataclass(frozen=True)
class Held:
    """What the live requests of a day hold (DESIGN §4's counting)."""

    accepted: int = 0           # accepted or awaiting a staff decision
    pending: int = 0            # not transmitted, holding a place
    waiting: int = 0            # waiting-listed, or not transmitted with the waiting mark

    @property
    def places(self) -> int:
        return self.accepted + self.pending


def held_on(occurrence_id: int | None) -> Held:
    """The day's held places and waiting places, in one query (none for a new day)."""
    if occurrence_id is None:
        return Held()
    counts = Reservation.objects.filter(occurrence_id=occurrence_id, state__in=Reservation.LIVE_STATES).aggregate(
        accepted=Count("pk", filter=Q(state__in=[State.ACCEPTED, State.AWAITING_DECISION])),
        pending=Count("pk", filter=Q(state=State.NOT_TRANSMITTED, waiting_mark=False)),
        waiting=Count("pk", filter=Q(state=State.WAITING_LIST) | Q(state=State.NOT_TRANSMITTED, waiting_mark=True)),
    )
    return Held(**counts)


def shortfall_message(*, held: Held, places: int, waiting_places: int) -> str | None:
    """The warning for numbers below what is held, with the numbers (None: they fit)."""
    parts = []
    if places < held.places:
        parts.append(ngettext(
            "%(held)s demande occupe une place ce jour-là (acceptées ou en attente de réponse : %(accepted)s, "
            "non transmises : %(pending)s) ; places du jour : %(places)s, soit %(over)s de trop.",
            "%(held)s demandes occupent une place ce jour-là (acceptées ou en attente de réponse : %(accepted)s, "
            "non transmises : %(pending)s) ; places du jour : %(places)s, soit %(over)s de trop.", held.places,
        ) % {"held": held.places, "accepted": held.accepted, "pending": held.pending, "places": places,
             "over": held.places - places})
    if waiting_places < held.waiting:
        parts.append(ngettext(
            "%(held)s demande est en liste d'attente ; places en liste d'attente : %(places)s, soit %(over)s de trop.",
            "%(held)s demandes sont en liste d'attente ; places en liste d'attente : %(places)s, soit %(over)s de trop.",
            held.waiting,
        ) % {"held": held.waiting, "places": waiting_places, "over": held.waiting - waiting_places})
    if not parts:
        return None
    parts.append(_("Les demandes acceptées (ou en attente de réponse) gardent leur place. Cette nuit, les demandes "
                   "non transmises qui ne tiennent plus passeront en liste d'attente s'il y reste de la place, sinon "
                   "seront refusées, et la liste d'attente sera ramenée au nouveau nombre (les dernières arrivées "
                   "sont refusées) ; chaque famille en reçoit la raison dans son compte rendu."))
    return " ".join(parts)


class CapacityBelowHeld(Exception):
    """Lowering the numbers below what is held was not confirmed; the message says how much."""


def occurrence_capacity_save(*, occurrence: Occurrence, confirmed: bool) -> Occurrence:
    """Save a day whose places may have changed: locked, held places counted again under
    the lock, refused (CapacityBelowHeld) when below what is held and not confirmed."""
    with transaction.atomic():
        if occurrence.pk is not None:
            Occurrence.objects.select_for_update().filter(pk=occurrence.pk).first()
            if occurrence.activity.limited_places and not confirmed:
                message = shortfall_message(held=held_on(occurrence.pk), places=occurrence.places,
                                            waiting_places=occurrence.waiting_places)
                if message:
                    raise CapacityBelowHeld(message)
        occurrence.save()
    return occurrence
