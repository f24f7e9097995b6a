"""Staff booking or cancelling a day for a child on the parent's behalf (the family at a glance).

It goes through the cart's confirmation (reservations.booking.confirmation): the same rules,
the same places, the same writes, with the staff member as the events' actor and the events
marked ``on_behalf`` — the parent's follow-up page then says "réservé par la structure" or
"annulé par la structure". Staff may set the booking window and the deadlines aside, only with
a reason, which the events keep. The family's own cart is left as it is.
"""
from __future__ import annotations

import datetime

from django.utils.translation import gettext as _

from reservations.booking.confirmation import OnBehalf, lines_confirm_on_behalf
from reservations.booking.results import LineResult
from reservations.models import CartLine, Occurrence

REASON_LENGTH = 120


class OnBehalfRefused(Exception):
    """The change cannot be asked as given; the message is French and shown as is."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def day_change_on_behalf(*, family, child, occurrence: Occurrence, action: str, user, now: datetime.datetime,
                         override_deadlines: bool = False, reason: str = "") -> LineResult:
    """Book (``action`` "book") or cancel ("cancel") ``occurrence`` for ``child`` of ``family``,
    by staff ``user``; returns the line's result as the parent's confirmation page would show it.

    ``override_deadlines`` sets the booking window and the deadlines aside and needs a
    ``reason``. The caller has checked that the family is in the staff member's structures;
    the child must be the family's and the day of its structure (else OnBehalfRefused).
    Raises reservations.locking.CartBusy when the day stayed locked too long.
    """
    reason = " ".join((reason or "").split())[:REASON_LENGTH]
    if override_deadlines and not reason:
        raise OnBehalfRefused(_("Indiquez le motif pour passer outre les délais."))
    if child.family_id != family.pk or occurrence.activity.structure_id != family.structure_id:
        raise OnBehalfRefused(_("Cet enfant ou cette journée n'est pas de cette famille."))
    if action not in (CartLine.Action.BOOK, CartLine.Action.CANCEL):
        raise OnBehalfRefused(_("Action inconnue."))
    line = CartLine(family=family, child=child, occurrence=occurrence, action=action)
    result = lines_confirm_on_behalf(family=family, lines=[line], now=now, user=user,
                                     on_behalf=OnBehalf(reason=reason, override_deadlines=override_deadlines))
    return result.lines[0]
