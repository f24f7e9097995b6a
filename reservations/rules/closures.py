"""Closed days of a structure: French public holidays ∪ its Closure rows, one query per range.

Two questions, two answers. Is the day bookable? (``for_activity``): school holidays close
only the activities marked ``closed_during_school_holidays``, a "closure" row closes every
activity, public holidays close everything. Is the day worked? (``non_working``, what "N
jours ouvrés" rules skip besides weekends): public holidays and the closures whose effect
is NON_WORKING — never the days that only close an activity, such as school holidays for
the canteen, so the first day after the holidays keeps a deadline a few days before it.
"""
from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from functools import lru_cache

from django.utils.translation import gettext as _

# The country's class itself, not ``holidays.France``: that name loads every country's tables at its
# first use (60 ms of the first parent's page); this import loads them with the views (portal.wsgi).
from holidays.countries.france import France

from reservations.models import Closure

from .context_reads import closure_rows


@lru_cache(maxsize=64)
def public_holidays(year: int) -> dict[datetime.date, str]:
    """French public holidays of a year (metropolitan France), date → name."""
    return dict(France(years=year, language="fr"))


def public_holidays_between(start: datetime.date, end: datetime.date) -> dict[datetime.date, str]:
    found = {}
    for year in range(start.year, end.year + 1):
        for day, name in public_holidays(year).items():
            if start <= day <= end:
                found[day] = name
    return found


@dataclass
class ClosedDays:
    """Closed days over [start, end], by cause; ask ``for_activity`` for one activity's set."""

    start: datetime.date
    end: datetime.date
    public: dict = field(default_factory=dict)
    closures: dict = field(default_factory=dict)
    school: dict = field(default_factory=dict)
    # Days the structure does not work: skipped by "N working days" rules (date → reason).
    non_working: dict = field(default_factory=dict)
    # School-holiday day → the first day of those holidays (for "N jours pleins avant la période").
    holiday_starts: dict = field(default_factory=dict)

    def for_activity(self, activity) -> dict[datetime.date, str]:
        """date → reason, for one activity (cached per school-holiday flag)."""
        closes_in_holidays = bool(getattr(activity, "closed_during_school_holidays", True))
        cache = self.__dict__.setdefault("_cache", {})
        if closes_in_holidays not in cache:
            merged = {}
            if closes_in_holidays:
                merged.update(self.school)
            merged.update(self.closures)
            merged.update(self.public)
            cache[closes_in_holidays] = merged
        return cache[closes_in_holidays]

    def reason(self, activity, day: datetime.date) -> str | None:
        return self.for_activity(activity).get(day)

    def period_start(self, day: datetime.date) -> datetime.date | None:
        """The first day of the school holidays the day belongs to (None: not in holidays).

        Read from the closures, whoever created the day (generated or added by hand) and
        whenever the holidays were entered or moved.
        """
        return self.holiday_starts.get(day)


def closed_days(*, structure_id: int, start: datetime.date, end: datetime.date) -> ClosedDays:
    """Closed days of a structure between two dates (inclusive), in one query."""
    result = ClosedDays(start=start, end=end)
    result.public = {
        day: _("Jour férié : %(name)s") % {"name": name} for day, name in public_holidays_between(start, end).items()
    }
    rows = closure_rows(structure_id=structure_id, start=start, end=end)
    result.non_working.update(result.public)
    for kind, label, first, last, effect in rows:
        target = result.school if kind == Closure.Kind.SCHOOL_HOLIDAYS else result.closures
        non_working = (effect or Closure.DEFAULT_EFFECT.get(Closure.Kind(kind))) == Closure.Effect.NON_WORKING
        holidays = kind == Closure.Kind.SCHOOL_HOLIDAYS
        day = max(first, start)
        while day <= min(last, end):
            target.setdefault(day, label)
            if non_working:
                result.non_working.setdefault(day, label)
            if holidays:
                result.holiday_starts.setdefault(day, first)
            day += datetime.timedelta(days=1)
    return result
