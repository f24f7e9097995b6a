"""Why a child may not book or cancel a day: one code per reason, its French sentence beside it.

The codes are cheap (the month grid decides hundreds of days without building a
sentence); the sentence is written only where a page or a message shows it
(``Refusal.message``). A *refusal* is the code, a *reason* its sentence.
"""
from __future__ import annotations

import datetime
from enum import StrEnum

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .deadlines import format_deadline, format_moment


class Refusal(StrEnum):
    # Booking.
    CLOSED = "closed"                        # a closure, a public holiday, or the day closed by staff
    NOT_ENROLLED = "not_enrolled"
    ALREADY_BOOKED = "held"
    CANCEL_PENDING = "cancel_pending"        # the day's request is being cancelled: not bookable again tonight
    NOT_OPEN = "not_open"                    # before the booking window opens
    TOO_LATE_TO_BOOK = "deadline"
    FULL = "full"                            # waiting list included
    # Cancelling.
    NOTHING_TO_CANCEL = "nothing"
    CANCEL_ALREADY_ASKED = "cancel_asked"
    TOO_LATE_TO_CANCEL = "cancel_deadline"

    def message(self, *, day: datetime.date, activity: str, today: datetime.date,
                moment: datetime.datetime | None = None, closed_reason: str | None = None) -> str:
        """The sentence shown to the parent. ``moment``: the opening or the deadline the
        refusal is about; ``closed_reason``: what closes the day (a holiday's name…)."""
        return str(_MESSAGES[self]) % {
            "day": day.strftime("%d/%m/%Y"), "activity": activity,
            "reason": closed_reason or _("journée fermée"),
            "moment": _moment_text(self, moment, today=today),
        }


def _moment_text(refusal: Refusal, moment: datetime.datetime | None, *, today: datetime.date) -> str:
    """An opening as it is; a deadline as the last minute allowed (00:00 → the day before at 23:59)."""
    if moment is None:
        return ""
    if refusal in (Refusal.TOO_LATE_TO_BOOK, Refusal.TOO_LATE_TO_CANCEL):
        return format_deadline(moment, today=today)
    return format_moment(moment, today=today)


_MESSAGES = {
    Refusal.CLOSED: gettext_lazy("Fermé le %(day)s (%(reason)s)."),
    Refusal.NOT_ENROLLED: gettext_lazy("L'enfant n'est pas inscrit à « %(activity)s » le %(day)s."),
    Refusal.ALREADY_BOOKED: gettext_lazy("Ce jour est déjà réservé."),
    Refusal.CANCEL_PENDING: gettext_lazy("Une annulation est déjà demandée pour ce jour ; elle sera traitée cette nuit."),
    Refusal.NOT_OPEN: gettext_lazy("Les réservations ouvrent le %(moment)s."),
    Refusal.TOO_LATE_TO_BOOK: gettext_lazy("Hors délai : ce jour pouvait être réservé jusqu'au %(moment)s."),
    Refusal.FULL: gettext_lazy("Activité complète (liste d'attente comprise)."),
    Refusal.NOTHING_TO_CANCEL: gettext_lazy("Aucune réservation à annuler ce jour-là."),
    Refusal.CANCEL_ALREADY_ASKED: gettext_lazy("L'annulation est déjà demandée ; elle sera traitée cette nuit."),
    Refusal.TOO_LATE_TO_CANCEL: gettext_lazy("Hors délai : ce jour pouvait être annulé jusqu'au %(moment)s."),
}
