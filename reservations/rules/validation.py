"""What a deadline rule must say to mean something: pure checks, French messages.

The models' ``clean()`` and the admin's forms call these, so an impossible rule is refused
when staff save it, never discovered by a parent ("a weekday of 8", "N days before"
without N, two cut-offs for the same day…). Each function returns the errors by field
(``None`` for the whole rule) — empty when the rule is sound.
"""
from __future__ import annotations

from collections.abc import Iterable

from django.utils.translation import gettext as _

from .deadlines import WEEKDAY_NAMES

DAYS_BEFORE, WEEKLY_CUTOFF, HOURS_BEFORE, BEFORE_PERIOD, FIXED_DATE = (
    "days_before", "weekly_cutoff", "hours_before", "before_period", "fixed_date")

# The fields each kind reads (reservations.rules.deadlines.rule_from_model); the others must stay empty.
FIELDS_OF_KIND = {
    DAYS_BEFORE: {"days", "at_time", "working_days"},
    WEEKLY_CUTOFF: set(),                    # its lines (DeadlineCutoff) say everything
    HOURS_BEFORE: {"hours"},
    BEFORE_PERIOD: {"days"},
    FIXED_DATE: {"fixed_deadline"},
}
REQUIRED_OF_KIND = {
    DAYS_BEFORE: {"days", "at_time"},
    HOURS_BEFORE: {"hours"},
    BEFORE_PERIOD: {"days"},
    FIXED_DATE: {"fixed_deadline"},
}
MAX_DAYS = 366          # a year ahead is the longest any structure books
MAX_HOURS = 24 * 60     # sixty days


def rule_errors(*, kind: str, days, working_days: bool, at_time, hours, fixed_deadline) -> dict[str | None, str]:
    """The errors of a DeadlineRule's own fields for its kind."""
    values = {"days": days, "working_days": working_days or None, "at_time": at_time, "hours": hours,
              "fixed_deadline": fixed_deadline}
    if kind not in FIELDS_OF_KIND:
        return {"kind": _("Choisissez un type de délai.")}
    errors: dict[str | None, str] = {}
    for name in sorted(REQUIRED_OF_KIND.get(kind, ())):
        if values[name] is None:
            errors[name] = _("Ce champ est obligatoire pour ce type de délai.")
    for name, value in values.items():
        if value is not None and name not in FIELDS_OF_KIND[kind]:
            errors[name] = (_("Les jours ouvrés ne s'appliquent qu'au type « N jours avant » : décochez-les.")
                            if name == "working_days" else
                            _("Ce champ ne s'applique pas à ce type de délai : laissez-le vide."))
    if "days" not in errors and days is not None and days > MAX_DAYS:
        errors["days"] = _("Au plus %(max)s jours.") % {"max": MAX_DAYS}
    if "hours" not in errors and hours is not None and not 1 <= hours <= MAX_HOURS:
        errors["hours"] = _("Entre 1 et %(max)s heures.") % {"max": MAX_HOURS}
    return errors


def covers_error(covers) -> str | None:
    """The weekdays one cut-off line covers: at least one, each 0 (Monday) … 6 (Sunday), no repeat."""
    if not isinstance(covers, list | tuple) or not covers:
        return _("Cochez au moins un jour couvert par cette limite.")
    if any(not isinstance(day, int) or isinstance(day, bool) or not 0 <= day <= 6 for day in covers):
        return _("Les jours couverts vont du lundi au dimanche.")
    if len(set(covers)) != len(covers):
        return _("Un même jour est coché deux fois.")
    return None


def cutoff_lines_errors(*, kind: str, lines: Iterable[Iterable[int]]) -> list[str]:
    """The errors of a rule's set of cut-off lines (each given by the weekdays it covers)."""
    lines = [list(covers) for covers in lines]
    if kind != WEEKLY_CUTOFF:
        return [_("Les limites hebdomadaires ne s'appliquent qu'au type « Avant un jour de la semaine » : "
                  "supprimez-les ou changez de type.")] if lines else []
    if not lines:
        return [_("Ajoutez au moins une limite : jour et heure limites, et les jours qu'elle couvre.")]
    seen: dict[int, int] = {}
    errors = []
    for day in sorted(day for covers in lines for day in set(covers)):
        seen[day] = seen.get(day, 0) + 1
    for day, count in sorted(seen.items()):
        if count > 1:
            errors.append(_("Le %(day)s est couvert par %(count)s limites : une seule limite par jour.") % {
                "day": WEEKDAY_NAMES[day], "count": count})
    return errors


def times_errors(*, arrival, departure, earliest=None, latest=None) -> dict[str | None, str]:
    """The errors of an activity's or a day's times: a day ends after it starts, and the window
    in which parents type their arrival time (when there is one) is not upside down."""
    errors: dict[str | None, str] = {}
    if arrival is not None and departure is not None and departure <= arrival:
        errors["departure_time"] = _("L'heure de départ doit être après l'heure d'arrivée.")
    if earliest is not None and latest is not None and latest < earliest:
        errors["arrival_latest"] = _("L'arrivée au plus tard ne peut pas précéder l'arrivée au plus tôt.")
    return errors


def same_structure_errors(*, structure_id: int | None, related: dict[str, int | None]) -> dict[str | None, str]:
    """The fields (by name → their structure's id) that point into another structure than the
    activity's: a wallet, a tariff or a deadline rule of another structure would charge or close
    its days by someone else's rules."""
    if structure_id is None:
        return {}
    return {field: _("Choisissez un élément de la structure de l'activité.")
            for field, other in related.items() if other is not None and other != structure_id}
