"""Calendar states (DESIGN §6, seed "Code Couleur"): two pure functions and the legend.

``activity_day_state`` gives one of the 8 per-activity states of the seed's first list
(or a cart overlay: orange "à réserver", green "à annuler"); ``aggregate_day_state``
gives one of the 8 day states of the second list from the activity states of that day.
Every state carries a colour class AND an icon AND a text, never colour alone.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:  # django-stubs-ext is a development dependency: types only
    from django_stubs_ext import StrOrPromise


@dataclass(frozen=True)
class DayState:
    code: str
    label: StrOrPromise   # the legend sentence (seed wording)
    short: StrOrPromise   # the few words written in the cell
    icon: str           # a Unicode symbol, rendered aria-hidden beside the text
    css: str            # colour class (static/css/reservations.css)

    def __str__(self):
        return str(self.short)


# --- per activity and day (first seed list) + cart overlays -------------------------
CLOSED = DayState("closed", _("L'activité n'est pas ouverte ou vous êtes hors délai pour réserver ce jour."),
                  _("Non ouverte / hors délai"), "⊘", "st-closed")
FULL = DayState("full", _("L'activité est complète (liste d'attente comprise), vous ne pouvez donc plus la réserver."),
                _("Complète"), "✕", "st-full")
OPEN = DayState("open", _("L'activité est ouverte, vous ne l'avez pas réservée."), _("Ouverte"), "○", "st-open")
# The same state in the legend of an activity with limited places: the guide's sentence, the number
# being the one written in each day.
OPEN_LIMITED_LABEL = _("L'activité est ouverte, vous ne l'avez pas réservée, il reste N places disponibles "
                       "(le nombre N est écrit dans chaque jour ; il n'est affiché que pour les activités dont le "
                       "nombre de places est limité).")
WAITLIST_OPEN = DayState("waitlist_open", _("L'activité est complète, mais vous pouvez vous inscrire en liste d'attente."),
                         _("Complète, liste d'attente possible"), "!", "st-waitlist-open")
BOOKED = DayState("booked", _("Vous avez réservé cette activité, vous pouvez encore l'annuler."),
                  _("Réservée, annulable"), "✓", "st-booked")
WAITING = DayState("waiting", _("Vous avez été mis sur liste d'attente pour cette activité, vous pouvez encore l'annuler."),
                   _("Liste d'attente, annulable"), "◷", "st-waiting")
BOOKED_LOCKED = DayState("booked_locked", _("Vous avez réservé cette activité, mais vous êtes hors délai pour l'annuler."),
                         _("Réservée, hors délai d'annulation"), "☑", "st-booked-locked")
WAITING_LOCKED = DayState("waiting_locked",
                          _("Vous êtes sur liste d'attente pour cette activité, vous êtes hors délai pour l'annuler."),
                          _("Liste d'attente, hors délai d'annulation"), "◉", "st-waiting-locked")
TO_BOOK = DayState("to_book", _("Dans votre panier : à réserver (pas encore enregistré tant que vous n'avez pas validé)."),
                   _("À réserver"), "+", "st-to-book")
TO_BOOK_WAITING = DayState("to_book_waiting", _("Dans votre panier : à réserver en liste d'attente (pas encore enregistré)."),
                           _("À réserver (liste d'attente)"), "+", "st-to-book")
TO_CANCEL = DayState("to_cancel", _("Dans votre panier : à annuler (pas encore enregistré tant que vous n'avez pas validé)."),
                     _("À annuler"), "−", "st-to-cancel")

ACTIVITY_STATES = (CLOSED, FULL, OPEN, WAITLIST_OPEN, BOOKED, WAITING, BOOKED_LOCKED, WAITING_LOCKED)
CART_STATES = (TO_BOOK, TO_BOOK_WAITING, TO_CANCEL)

# --- per day, no activity selected (second seed list) ---------------------------------
DAY_NONE_OPEN = DayState("day_none_open",
                         _("Aucune activité n'est ouverte ou vous êtes hors délai pour réserver les activités ouvertes."),
                         _("Rien d'ouvert"), "⊘", "st-closed")
DAY_ALL_FULL = DayState("day_all_full",
                        _("Toutes les activités sont complètes (liste d'attente comprise), vous ne pouvez donc plus les "
                          "réserver."),
                        _("Tout est complet"), "✕", "st-full")
DAY_OPEN = DayState("day_open", _("Au moins une activité est ouverte, vous n'en avez réservé aucune."),
                    _("Ouvert"), "○", "st-open")
DAY_OPEN_WAITLIST = DayState("day_open_waitlist",
                             _("Au moins une activité est ouverte et au moins une est complète mais a encore des places en "
                               "liste d'attente. Vous n'avez réservé aucune activité."),
                             _("Ouvert, liste d'attente possible"), "!", "st-waitlist-open")
DAY_BOOKED = DayState("day_booked",
                      _("Vous avez réservé au moins une activité. Vous pouvez encore réserver ou annuler certaines activités."),
                      _("Réservé, modifiable"), "✓", "st-booked")
DAY_BOOKED_WAITING = DayState("day_booked_waiting",
                              _("Vous avez réservé au moins une activité. Vous pouvez encore réserver ou annuler certaines "
                                "activités. Au moins une des activités (déjà réservée ou pas) est ou sera en liste d'attente."),
                              _("Réservé, modifiable, liste d'attente"), "◷", "st-waiting")
DAY_BOOKED_LOCKED = DayState("day_booked_locked",
                             _("Vous avez réservé une ou plusieurs activités, mais vous êtes hors délai pour les annuler. "
                               "Aucune autre activité ne peut être réservée."),
                             _("Réservé, hors délai"), "☑", "st-booked-locked")
DAY_BOOKED_LOCKED_WAITING = DayState("day_booked_locked_waiting",
                                     _("Vous avez réservé une ou plusieurs activités, dont au moins une en liste d'attente, "
                                       "mais vous êtes hors délai pour les annuler. Aucune autre activité ne peut être "
                                       "réservée."),
                                     _("Réservé dont liste d'attente, hors délai"), "◉", "st-waiting-locked")

AGGREGATE_STATES = (DAY_NONE_OPEN, DAY_ALL_FULL, DAY_OPEN, DAY_OPEN_WAITLIST, DAY_BOOKED, DAY_BOOKED_WAITING,
                    DAY_BOOKED_LOCKED, DAY_BOOKED_LOCKED_WAITING)

BY_CODE = {state.code: state for state in ACTIVITY_STATES + CART_STATES + AGGREGATE_STATES}

# What the parent holds on a day, seen from the calendar.
HOLD_NONE = None
HOLD_BOOKED = "booked"      # accepted, awaiting decision, or not transmitted without the waiting mark
HOLD_WAITING = "waiting"    # waiting-listed, or not transmitted with the waiting mark


def activity_day_state(
    *,
    hold: str | None,
    bookable: bool,
    cancellable: bool,
    limited: bool = False,
    places_left: int = 0,
    waiting_left: int = 0,
    cart_action: str | None = None,
) -> DayState:
    """One activity on one day for one child.

    hold: HOLD_BOOKED / HOLD_WAITING / None (a reservation whose cancellation is already
    requested counts as None). bookable: open, in the booking window, not closed, enrolled.
    cancellable: still before the cancellation deadline. cart_action: "book" / "cancel" / None.
    """
    if cart_action == "cancel" and hold is not None:
        return TO_CANCEL
    if cart_action == "book" and hold is None:
        if limited and places_left <= 0 and waiting_left > 0:
            return TO_BOOK_WAITING
        return TO_BOOK
    if hold == HOLD_BOOKED:
        return BOOKED if cancellable else BOOKED_LOCKED
    if hold == HOLD_WAITING:
        return WAITING if cancellable else WAITING_LOCKED
    if not bookable:
        return CLOSED
    if limited and places_left <= 0:
        return WAITLIST_OPEN if waiting_left > 0 else FULL
    return OPEN


def aggregate_day_state(states) -> DayState:
    """The day's state from its activities' states (cart overlays count as what they will be)."""
    states = list(states)
    booked = waiting = changeable = bookable_open = bookable_waitlist = full = False
    for state in states:
        code = state.code
        if code in ("booked", "booked_locked", "to_book"):
            booked = True
        if code in ("waiting", "waiting_locked", "to_book_waiting"):
            booked = waiting = True
        if code in ("booked", "waiting", "to_book", "to_book_waiting", "to_cancel"):
            changeable = True
        if code in ("open", "to_cancel"):
            bookable_open = True
        if code == "waitlist_open":
            bookable_waitlist = True
        if code == "full":
            full = True
    if booked:
        if changeable or bookable_open or bookable_waitlist:
            return DAY_BOOKED_WAITING if (waiting or bookable_waitlist) else DAY_BOOKED
        return DAY_BOOKED_LOCKED_WAITING if waiting else DAY_BOOKED_LOCKED
    if bookable_waitlist:
        return DAY_OPEN_WAITLIST
    if bookable_open:
        return DAY_OPEN
    if full:
        return DAY_ALL_FULL
    return DAY_NONE_OPEN


def legend(*, aggregate: bool, limited: bool = False) -> list[DayState]:
    """The legend shown under the calendar: the 8 states of the list in use and the cart colours;
    ``limited``: the activity shown counts its places, and the open state's sentence says so."""
    shown = list(AGGREGATE_STATES if aggregate else ACTIVITY_STATES)
    if limited and not aggregate:
        shown[shown.index(OPEN)] = replace(OPEN, label=OPEN_LIMITED_LABEL)
    return [*shown, TO_BOOK, TO_CANCEL]
