"""Posting of consumptions to the wallets, by the nightly run (DESIGN §4, §7).

The night posts every accepted booking of a past day once: present (the default) →
charged; absent → charged if the activity says so (``charge_unexcused_absence``);
excused absence → never charged (staff mark attendance: reservations.staff). The price
is the one quoted at confirm time (Reservation.unit_price, quantity).
``consumption_posted_at`` records that the booking is settled (posted, or not charged);
the consumption's ``source_key`` "reservation:<id>" makes a second posting impossible.
"""
from __future__ import annotations

import datetime
import logging
from collections import Counter

from django.core.exceptions import ValidationError
from django.db import transaction

from billing.ledger.services import consumption_post
from reservations.locking import rows_lock
from reservations.models import Reservation

logger = logging.getLogger(__name__)
State = Reservation.State
Attendance = Reservation.Attendance
POST_CHUNK = 500


def is_charged(*, attendance: str, charge_unexcused_absence: bool) -> bool:
    if attendance in ("", Attendance.PRESENT):
        return True
    if attendance == Attendance.ABSENT:
        return charge_unexcused_absence
    return False


def consumptions_post(*, structure, today: datetime.date, now: datetime.datetime, run=None) -> Counter:
    """Post the accepted bookings of days before ``today`` not posted yet; chunked, one
    transaction per chunk, rows locked (a concurrent run skips them). Each settled booking
    records the ``run`` that posted it (the run's figures are counted from these)."""
    counts: Counter = Counter(consumptions_posted=0, consumptions_not_charged=0)
    base = Reservation.objects.filter(
        family__structure=structure, state=State.ACCEPTED, consumption_posted_at__isnull=True, occurrence__date__lt=today,
    )
    last_id = 0
    while True:
        with transaction.atomic():
            chunk = rows_lock(base.filter(pk__gt=last_id).select_related("family", "child", "occurrence__activity__wallet"),
                              skip_locked=True, limit=POST_CHUNK)
            if not chunk:
                break
            settled = []
            for reservation in chunk:
                activity = reservation.occurrence.activity
                if is_charged(attendance=reservation.attendance, charge_unexcused_absence=activity.charge_unexcused_absence):
                    try:
                        consumption_post(
                            family=reservation.family, child=reservation.child, wallet=activity.wallet,
                            day=reservation.occurrence.date, activity_label=activity.name,
                            unit_price=reservation.unit_price, quantity=reservation.quantity,
                            source_key=f"reservation:{reservation.pk}",
                        )
                    except ValidationError as exc:
                        # A set-up mistake (e.g. a wallet of another structure) must not stop the night:
                        # the booking stays unposted, counted and logged, and is retried the next night.
                        logger.error("reservation %s not posted: %s", reservation.pk, exc)
                        counts["consumptions_errors"] += 1
                        continue
                    counts["consumptions_posted"] += 1
                else:
                    counts["consumptions_not_charged"] += 1
                settled.append(reservation.pk)
            Reservation.objects.filter(pk__in=settled).update(consumption_posted_at=now, posted_in=run)
            last_id = chunk[-1].pk
    return counts
