"""Everything needed to evaluate a family's days, loaded in bulk (``load_context``).

A calendar, a cart summary or a confirmation fetches its data in a constant number of
queries (enrolments, occurrences with their place counts, tariff rates, live
reservations, cart lines, closures); reservations.rules.availability then decides each
(child, occurrence) in pure Python.
"""
from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass, field

from accounts.models import Family
from portal import dates
from reservations.models import DeadlineRule

from . import context_reads as reads
from . import deadlines
from .closures import ClosedDays, closed_days

# How far back closures are loaded so "N working days before" can skip them.
WORKING_DAYS_LOOKBACK = datetime.timedelta(days=60)


@dataclass
class Context:
    family: Family | None     # None: only the days' rules are asked (no child, no price)
    now: datetime.datetime
    occurrences: dict = field(default_factory=dict)          # id → Occurrence (with taken / waiting_taken)
    enrolments: dict = field(default_factory=lambda: defaultdict(list))  # (child_id, activity_id) → [(start, end)]
    activities: dict = field(default_factory=dict)           # id → Activity the children are enrolled in
    rates: dict = field(default_factory=lambda: defaultdict(list))  # tariff_id → [TariffRate]
    reservations: dict = field(default_factory=dict)         # (child_id, occurrence_id) → live Reservation
    cart: dict = field(default_factory=dict)                 # (child_id, occurrence_id) → CartLine
    cart_count: int = 0                                      # lines in the family's whole cart
    closed: ClosedDays | None = None
    cutoffs: dict = field(default_factory=dict)              # weekly DeadlineRule id → (Cutoff, ...)
    _rules: dict = field(default_factory=dict)

    @property
    def today(self) -> datetime.date:
        return dates.today(self.now)

    def is_enrolled(self, child_id: int, activity_id: int, day: datetime.date) -> bool:
        return any(start <= day <= end for start, end in self.enrolments.get((child_id, activity_id), ()))

    def rules(self, activity):
        if activity.id not in self._rules:
            self._rules[activity.id] = (
                deadlines.rule_from_model(activity.booking_rule, cutoffs=self.cutoffs_of(activity.booking_rule)),
                deadlines.rule_from_model(activity.cancellation_rule, cutoffs=self.cutoffs_of(activity.cancellation_rule)),
                deadlines.opening_from_activity(activity),
            )
        return self._rules[activity.id]

    def cutoffs_of(self, rule) -> tuple:
        """A weekly rule's lines: loaded with the context, or here once per rule (contexts
        built by hand: the follow-up page, the demo)."""
        if rule is None or rule.kind != DeadlineRule.Kind.WEEKLY_CUTOFF:
            return ()
        if rule.id not in self.cutoffs:
            load_cutoffs(self, [rule.id])
        return self.cutoffs[rule.id]


def load_cutoffs(ctx: Context, rule_ids) -> None:
    """The cut-off lines of these weekly rules, in one query."""
    rule_ids = sorted(set(rule_ids) - set(ctx.cutoffs))
    if not rule_ids:
        return
    rows: dict[int, list] = {rule_id: [] for rule_id in rule_ids}
    for rule_id, *line in reads.cutoff_rows(rule_ids):
        rows[rule_id].append(line)
    ctx.cutoffs.update((rule_id, deadlines.cutoffs_from_rows(lines)) for rule_id, lines in rows.items())


def load_context(
    *, family, child_ids, start: datetime.date, end: datetime.date, now: datetime.datetime,
    activity_ids=None, occurrence_ids=None, prices: bool = True, cart_lines=None, occurrences=None,
) -> Context:
    """Everything needed to evaluate the children's days between two dates, in 6 queries.

    ``cart_lines``: the family's whole cart, already read with its occurrences (the summary
    lists it): not read again.

    ``occurrences``: the days of ``occurrence_ids``, read a moment before by the caller itself
    (the summary's, with its lines): not read again, their counters as read then. Never days
    handed down from elsewhere: their counters may be older than the request.

    ``prices=False``: no tariff rates (one query less), for a page that shows only states
    (the aggregate month grid); ``availability.price`` then finds no rate.

    Occurrences are those of the family's structure in the range, restricted to
    ``occurrence_ids`` if given, else to ``activity_ids`` if given, else to the activities
    the children are enrolled in; each carries its places taken (the day's counters).
    """
    ctx = Context(family=family, now=now)
    child_ids = list(child_ids)
    for child_id, activity_id, first, last, activity in reads.enrolments(family=family, child_ids=child_ids,
                                                                          start=start, end=end):
        ctx.enrolments[(child_id, activity_id)].append((first, last))
        ctx.activities[activity_id] = activity

    # Activities are attached by hand (not joined): a month of 12 activities is 500 rows.
    if occurrences is None:
        wanted_activities = activity_ids if activity_ids is not None else ctx.activities
        occurrences = reads.occurrences(
            structure_id=family.structure_id, start=start, end=end, occurrence_ids=occurrence_ids,
            activity_ids=None if occurrence_ids is not None else list(wanted_activities))
    else:   # one instance per day (a day in the cart for two children comes twice)
        occurrences = list({occurrence.id: occurrence for occurrence in occurrences}.values())
    # Each day's activity id read once (an attname behind a descriptor: 5 reads a day were 1,500 calls).
    days = [(occurrence, occurrence.__dict__["activity_id"]) for occurrence in occurrences]
    activities = dict(ctx.activities)
    missing = {activity_id for _day, activity_id in days} - set(activities)
    if missing:
        activities.update(reads.activities(sorted(missing)))
    order = {activity_id: (activity.position, activity.name) for activity_id, activity in activities.items()}
    days.sort(key=lambda pair: (pair[0].date, order[pair[1]], pair[0].id))
    for occurrence, activity_id in days:
        occurrence._state.fields_cache = {"activity": activities[activity_id]}   # what `.activity =` stores
        # The day's own counters (kept by a trigger in the same transaction as every change of
        # its reservations, reservations.migrations.0008): no count over the reservations.
        occurrence.taken, occurrence.waiting_taken = occurrence.places_taken, occurrence.waiting_places_taken
        ctx.occurrences[occurrence.id] = occurrence
    # The family's whole cart in one query (a few dozen lines at most): the lines of these
    # children and days, and the badge's count of every line.
    child_set = set(child_ids)
    lines: list  # CartLine, each with its day's date as ``day``
    if cart_lines is None:
        lines = reads.cart_lines(family=family)
    else:
        lines = list(cart_lines)
        for line in lines:
            line.day = line.occurrence.date
    ctx.cart_count = len(lines)
    for line in lines:
        if line.child_id in child_set and start <= line.day <= end:
            ctx.cart[(line.child_id, line.occurrence_id)] = line

    if prices:
        tariff_ids = {occ.activity.tariff_id for occ in ctx.occurrences.values() if occ.activity.tariff_id}
        tariff_ids |= {activity.tariff_id for activity in ctx.activities.values() if activity.tariff_id}
        for rate in reads.tariff_rates(tariff_ids=sorted(tariff_ids), start=start, end=end):
            ctx.rates[rate.tariff_id].append(rate)

    for reservation in reads.live_reservations(family=family, child_ids=child_ids, start=start, end=end):
        ctx.reservations[(reservation.child_id, reservation.occurrence_id)] = reservation

    ctx.closed = closed_days(structure_id=family.structure_id, start=start - WORKING_DAYS_LOOKBACK, end=end)
    # Weekly rules' lines: one more query, only when such a rule is in use.
    rules = [rule for activity in activities.values() for rule in (activity.booking_rule, activity.cancellation_rule)]
    load_cutoffs(ctx, [rule.id for rule in rules if rule is not None and rule.kind == DeadlineRule.Kind.WEEKLY_CUTOFF])
    return ctx
