"""Reads of the staff pages of reservations (the admin's own views call them)."""
from __future__ import annotations

import datetime

from django.db.models import QuerySet

from portal.models import Structure
from reservations.models import Activity, Occurrence


def structures_of(*, allowed_ids: list[int] | None) -> QuerySet[Structure]:
    """The structures a staff member works for, by name (``None``: a superuser's, all of them)."""
    structures = Structure.objects.order_by("name")
    return structures if allowed_ids is None else structures.filter(pk__in=allowed_ids)


def occurrence_of_day(*, activity: Activity, day: datetime.date) -> Occurrence | None:
    """The activity's occurrence on that day, if it takes place."""
    return Occurrence.objects.filter(activity=activity, date=day).select_related("activity__structure").first()
