"""A reminder before a booking deadline (issue 11, What to build 6): an e-mail, through the outbox,
when the booking deadline of next week (or of a later period: a holiday week whose rule closes
earlier) of an activity a child usually attends is less than DEADLINE_REMINDER_HOURS away and
nothing is booked (nor in the cart) for that child, activity and week.

- "Usually attends": at least USUAL_DAYS accepted days of that activity in the last 4 weeks.
- Families who opted out in their profile (Family.deadline_reminders) or without an e-mail
  address are left out.
- Once per family, activity and period (the Monday of the week): a DeadlineReminder row, unique,
  is claimed before the e-mail is queued, in the same transaction, so a second beat run (or two at
  once) finds it and queues nothing.
"""
from __future__ import annotations

import datetime
import logging
from collections import defaultdict
from dataclasses import dataclass
from functools import partial

from celery import shared_task
from django.conf import settings
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation

from accounts.models import Family
from portal.dates import today
from reservations.models import Reservation
from reservations.rules.availability import evaluate
from reservations.rules.context import load_context

from .models import DeadlineReminder, OutboxEmail
from .reports import family_language
from .tasks import send_outbox_email

logger = logging.getLogger(__name__)
State = Reservation.State
USUAL_DAYS = 2
USUAL_WEEKS = 4
LOOK_AHEAD_DAYS = 42


@dataclass(frozen=True)
class ReminderItem:
    activity_id: int
    activity: str
    period_start: datetime.date
    children: tuple[str, ...]
    deadline: datetime.datetime
    deadline_text: str


def usual_activities(*, since: datetime.date, until: datetime.date) -> dict[int, dict[int, set[int]]]:
    """family id → child id → activity ids the child attended on USUAL_DAYS days or more."""
    usual: dict[int, dict[int, set[int]]] = defaultdict(lambda: defaultdict(set))
    counts: dict[tuple[int, int, int], int] = defaultdict(int)
    rows = (Reservation.objects.filter(state=State.ACCEPTED, occurrence__date__gte=since, occurrence__date__lt=until,
                                       family__deadline_reminders=True)
            .exclude(family__email="").values_list("family_id", "child_id", "occurrence__activity_id"))
    for family_id, child_id, activity_id in rows:
        counts[(family_id, child_id, activity_id)] += 1
    for (family_id, child_id, activity_id), days in counts.items():
        if days >= USUAL_DAYS:
            usual[family_id][child_id].add(activity_id)
    return usual


def reminders_due(*, family, children: dict[int, set[int]], now: datetime.datetime, hours: int) -> list[ReminderItem]:
    """What to remind ``family`` of now: (activity, week) whose deadline falls within ``hours``."""
    this_day = today(now)
    horizon = now + datetime.timedelta(hours=hours)
    activity_ids = set().union(*children.values())
    ctx = load_context(family=family, child_ids=list(children), start=this_day,
                       end=this_day + datetime.timedelta(days=LOOK_AHEAD_DAYS), now=now, activity_ids=activity_ids)
    names = {child.id: child.first_name for child in family.children.filter(id__in=list(children))}
    groups: dict[tuple[int, datetime.date, int], list] = defaultdict(list)
    for occurrence in ctx.occurrences.values():
        monday = occurrence.date - datetime.timedelta(days=occurrence.date.weekday())
        for child_id, usual in children.items():
            if occurrence.activity_id in usual and ctx.is_enrolled(child_id, occurrence.activity_id, occurrence.date):
                groups[(occurrence.activity_id, monday, child_id)].append(evaluate(ctx, occurrence, child_id))
    due: dict[tuple[int, datetime.date], dict] = {}
    for (activity_id, monday, child_id), slots in groups.items():
        if any(slot.hold is not None or slot.cart_line is not None for slot in slots):
            continue                      # something is booked (or about to be) that week
        open_slots = [slot for slot in slots if slot.book_reason is None and slot.book_deadline > now]
        if not open_slots:
            continue
        first = min(open_slots, key=lambda slot: (slot.book_deadline, slot.occurrence.date))
        if first.book_deadline > horizon:
            continue
        entry = due.setdefault((activity_id, monday), {"slot": first, "children": []})
        entry["children"].append(names.get(child_id, ""))
        if first.book_deadline < entry["slot"].book_deadline:
            entry["slot"] = first
    return [ReminderItem(activity_id=activity_id, activity=entry["slot"].activity.name, period_start=monday,
                         children=tuple(sorted(entry["children"])), deadline=entry["slot"].book_deadline,
                         deadline_text=entry["slot"].deadline_text)
            for (activity_id, monday), entry in sorted(due.items(), key=lambda item: item[1]["slot"].book_deadline)]


def _claim(*, family, items: list[ReminderItem]) -> list[ReminderItem]:
    """The items not told yet, each claimed by its unique row (in the caller's transaction)."""
    claimed = []
    for item in items:
        try:
            with transaction.atomic():
                DeadlineReminder.objects.create(family=family, activity_id=item.activity_id,
                                                period_start=item.period_start, deadline=item.deadline)
        except IntegrityError:
            continue                      # told already (an earlier run, or one running now)
        claimed.append(item)
    return claimed


def deadline_reminders_send(*, now: datetime.datetime, hours: int | None = None) -> int:
    """Queue the reminders due now; returns how many e-mails were queued."""
    hours = settings.DEADLINE_REMINDER_HOURS if hours is None else hours
    this_day = today(now)
    usual = usual_activities(since=this_day - datetime.timedelta(weeks=USUAL_WEEKS), until=this_day + datetime.timedelta(1))
    queued = 0
    for family in Family.objects.filter(pk__in=list(usual)).select_related("structure"):
        with translation.override(family_language(family)):       # the deadlines' words too
            items = reminders_due(family=family, children=usual[family.pk], now=now, hours=hours)
        if not items:
            continue
        with transaction.atomic():
            fresh = _claim(family=family, items=items)
            if not fresh:
                continue
            with translation.override(family_language(family)):
                context = {"family": family, "structure": family.structure, "items": fresh,
                           "calendar_link": settings.SITE_URL + reverse("reservations:calendar"),
                           "profile_link": settings.SITE_URL + reverse("accounts:profile")}
                email = OutboxEmail.objects.create(
                    family=family, kind=OutboxEmail.Kind.DEADLINE_REMINDER, recipient=family.email.strip(),
                    subject=" ".join(render_to_string("notifications/email/deadline_reminder_subject.txt", context).split()),
                    body_text=render_to_string("notifications/email/deadline_reminder.txt", context),
                    body_html=render_to_string("notifications/email/deadline_reminder.html", context),
                )
            DeadlineReminder.objects.filter(family=family, period_start__in=[i.period_start for i in fresh],
                                            activity_id__in=[i.activity_id for i in fresh], email=None).update(email=email)
            if settings.OUTBOX_AUTO_SEND:
                transaction.on_commit(partial(send_outbox_email.delay, email.pk))
            queued += 1
    if queued:
        logger.info("deadline reminders: %s e-mail(s) queued", queued)
    return queued


@shared_task(name="notifications.tasks.deadline_reminders")
def deadline_reminders() -> int:
    """Beat, every hour (settings.CELERY_BEAT_SCHEDULE): the reminders due now; safe to run twice —
    each family, activity and period is told once. Registered by NotificationsConfig.ready()."""
    return deadline_reminders_send(now=timezone.now())
