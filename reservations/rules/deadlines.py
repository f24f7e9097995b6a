"""Deadline rules: until when a day can be booked or cancelled (DESIGN §5).

Each rule is a small frozen dataclass with
``deadline_for(occurrence_date, *, period_start=None, start_time=None, non_working_days) -> datetime``
returning an aware datetime in Europe/Paris: the last moment the change is allowed.

Day-based rules build a *local* wall-clock datetime with zoneinfo (so "the day before at
09:00" stays 09:00 across a DST change); the N-hours rule counts real elapsed hours from
the occurrence start (computed in UTC, then shown in Paris time).
"""
from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.utils.translation import gettext as _

from portal.dates import MAX_PERIOD_DAYS, MONTH_NAMES, PARIS, WEEKDAY_NAMES

MIDNIGHT = datetime.time(0, 0)
END_OF_DAY = datetime.time(23, 59)


def local(day: datetime.date, at: datetime.time = MIDNIGHT) -> datetime.datetime:
    """The aware Paris datetime of a wall-clock time on a day (DST-correct)."""
    return datetime.datetime.combine(day, at).replace(tzinfo=PARIS)


def occurrence_start(day: datetime.date, start_time: datetime.time | None) -> datetime.datetime:
    return local(day, start_time or MIDNIGHT)


def is_working_day(day: datetime.date, non_working_days) -> bool:
    return day.weekday() < 5 and day not in non_working_days


def working_days_before(day: datetime.date, count: int, non_working_days) -> datetime.date:
    """The date `count` working days before `day` (weekends and the structure's non-working
    days skipped: public holidays and its own closures; not school holidays)."""
    current = day
    remaining = count
    # A school year has far fewer consecutive closed days than the longest period; the bound
    # keeps a bad closure table from looping for ever.
    for _step in range(MAX_PERIOD_DAYS + count * 7):
        if remaining <= 0:
            return current
        current -= datetime.timedelta(days=1)
        if is_working_day(current, non_working_days):
            remaining -= 1
    return current


@dataclass(frozen=True)
class DaysBefore:
    """N days before the day at HH:MM; "working" days skip weekends and non-working days."""

    days: int
    at_time: datetime.time = END_OF_DAY
    working_days: bool = False

    def deadline_for(self, occurrence_date, *, period_start=None, start_time=None, non_working_days=frozenset()):
        if self.working_days:
            day = working_days_before(occurrence_date, self.days, non_working_days)
        else:
            day = occurrence_date - datetime.timedelta(days=self.days)
        return local(day, self.at_time)


def last_weekday_before(day: datetime.date, weekday: int) -> datetime.date:
    """The last date strictly before ``day`` falling on ``weekday`` (0 = Monday)."""
    return day - datetime.timedelta(days=(day.weekday() - weekday - 1) % 7 + 1)


@dataclass(frozen=True)
class Cutoff:
    """One line of a weekly rule: "vendredi 09:00 pour lundi et mardi" (weekday 4, 09:00, {0, 1})."""

    weekday: int
    at_time: datetime.time
    covers: frozenset[int]


@dataclass(frozen=True)
class WeeklyCutoff:
    """Weekly cut-offs: "vendredi 09:00 pour lundi et mardi ; mardi 09:00 pour jeudi et vendredi".

    A covered day closes on the line's weekday and time, the last one before the first of
    the days that line covers in the day's week (Monday to Sunday): Monday and Tuesday on
    the Friday before, Thursday and Friday on that week's Tuesday; "mardi 23:59 pour toute la
    semaine" is the previous week's Tuesday. A day no line covers closes at the nearest
    cut-off before it.
    """

    cutoffs: tuple[Cutoff, ...]

    @classmethod
    def whole_week(cls, weekday: int, at_time: datetime.time = END_OF_DAY) -> WeeklyCutoff:
        """ "Avant <weekday> HH:MM pour toute la semaine suivante"."""
        return cls((Cutoff(weekday, at_time, frozenset(range(7))),))

    def deadline_for(self, occurrence_date, *, period_start=None, start_time=None, non_working_days=frozenset()):
        weekday = occurrence_date.weekday()
        for cutoff in self.cutoffs:
            if weekday in cutoff.covers:
                first_covered = occurrence_date - datetime.timedelta(days=weekday - min(cutoff.covers))
                return local(last_weekday_before(first_covered, cutoff.weekday), cutoff.at_time)
        return max(local(last_weekday_before(occurrence_date, cutoff.weekday), cutoff.at_time) for cutoff in self.cutoffs)


@dataclass(frozen=True)
class HoursBefore:
    """N real hours before the occurrence starts (elapsed time, DST-aware)."""

    hours: int

    def deadline_for(self, occurrence_date, *, period_start=None, start_time=None, non_working_days=frozenset()):
        start_utc = occurrence_start(occurrence_date, start_time).astimezone(datetime.UTC)
        return (start_utc - datetime.timedelta(hours=self.hours)).astimezone(PARIS)


@dataclass(frozen=True)
class BeforePeriod:
    """N full days before the first day of the period: deadline = period start − N days at 00:00."""

    days: int

    def deadline_for(self, occurrence_date, *, period_start=None, start_time=None, non_working_days=frozenset()):
        first = period_start or occurrence_date
        return local(first - datetime.timedelta(days=self.days), MIDNIGHT)


@dataclass(frozen=True)
class FixedDate:
    """Until a fixed date and time, whatever the day."""

    deadline: datetime.datetime

    def deadline_for(self, occurrence_date, *, period_start=None, start_time=None, non_working_days=frozenset()):
        value = self.deadline
        if value.tzinfo is None:
            value = value.replace(tzinfo=PARIS)
        return value.astimezone(PARIS)


@dataclass(frozen=True)
class UntilStart:
    """No rule: bookable / cancellable until the occurrence starts."""

    def deadline_for(self, occurrence_date, *, period_start=None, start_time=None, non_working_days=frozenset()):
        return occurrence_start(occurrence_date, start_time)


Rule = DaysBefore | WeeklyCutoff | HoursBefore | BeforePeriod | FixedDate | UntilStart


@dataclass(frozen=True)
class OpeningWindow:
    """Booking opens N days ahead (at 00:00) and/or from a date; None = always open."""

    days_ahead: int | None = None
    opens_on: datetime.date | None = None

    def opens_at(self, occurrence_date: datetime.date) -> datetime.datetime | None:
        candidates = []
        if self.days_ahead is not None:
            candidates.append(local(occurrence_date - datetime.timedelta(days=self.days_ahead)))
        if self.opens_on is not None:
            candidates.append(local(self.opens_on))
        return max(candidates) if candidates else None

    def is_open(self, occurrence_date: datetime.date, *, today: datetime.date) -> bool:
        """``opens_at(occurrence_date)`` is None or past, for a moment whose Paris date is ``today``:
        an opening is a midnight in Paris, so comparing dates gives the same answer."""
        if self.days_ahead is not None and today < occurrence_date - datetime.timedelta(days=self.days_ahead):
            return False
        return self.opens_on is None or today >= self.opens_on


def opening_from_activity(activity) -> OpeningWindow:
    return OpeningWindow(days_ahead=activity.opens_days_ahead, opens_on=activity.opens_on)


def cutoffs_from_rows(rows) -> tuple[Cutoff, ...]:
    """(weekday, at_time, covers) rows of DeadlineCutoff → the rule's lines, in a stable order."""
    return tuple(Cutoff(weekday, at_time, frozenset(covers)) for weekday, at_time, covers in rows if covers)


def rule_from_model(rule, *, cutoffs: tuple[Cutoff, ...] = ()) -> Rule:
    """Turn a DeadlineRule row (or None) into its rule object; a weekly rule needs its
    cut-off lines (``cutoffs``, loaded by reservations.rules.context)."""
    if rule is None:
        return UntilStart()
    kind = rule.kind
    if kind == "days_before":
        return DaysBefore(days=rule.days or 0, at_time=rule.at_time or END_OF_DAY, working_days=rule.working_days)
    if kind == "weekly_cutoff":
        # A rule saved without lines (the admin refuses it) is no deadline at all.
        return WeeklyCutoff(cutoffs) if cutoffs else UntilStart()
    if kind == "hours_before":
        return HoursBefore(hours=rule.hours or 0)
    if kind == "before_period":
        return BeforePeriod(days=rule.days or 0)
    if kind == "fixed_date":
        if rule.fixed_deadline is None:
            return UntilStart()
        return FixedDate(deadline=rule.fixed_deadline)
    return UntilStart()


def format_deadline(moment: datetime.datetime, *, today: datetime.date | None = None) -> str:
    """A deadline in words: the last minute the change is allowed.

    A deadline at 00:00 is the end of the day before: "jusqu'au vendredi 4 à 00:00" reads
    as Friday, so it is written "jeudi 3 à 23:59" (seed style, never a time past midnight).
    """
    moment = moment.astimezone(PARIS)
    if moment.time() == MIDNIGHT:
        moment = local(moment.date() - datetime.timedelta(days=1), END_OF_DAY)
    return format_moment(moment, today=today)


def format_moment(moment: datetime.datetime, *, today: datetime.date | None = None) -> str:
    """ "mardi 14 à 23:59" (the month is added when it is not the current one); an opening
    time as it is. Deadlines go through ``format_deadline``."""
    moment = moment.astimezone(PARIS)
    day_text = f"{WEEKDAY_NAMES[moment.weekday()]} {moment.day}"
    if today is None or (moment.year, moment.month) != (today.year, today.month):
        day_text += f" {MONTH_NAMES[moment.month - 1]}"
    if today is not None and moment.year != today.year:
        day_text += f" {moment.year}"
    return _("%(day)s à %(time)s") % {"day": day_text, "time": moment.strftime("%H:%M")}
