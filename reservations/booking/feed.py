"""The family's calendar feed (issue 11, What to build 5): a private iCalendar address per family,
with each child's accepted and waiting-listed days, built with the ``icalendar`` package. The
token in the address is the only key (calendar apps cannot log in): it is long and random, and
revoking it makes the old address answer 404. The feed is read from the database at each
request, so it follows every night's answers.
"""
from __future__ import annotations

import datetime
import secrets

from django.db import transaction
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from icalendar import Calendar, Event

from portal.dates import today
from reservations.models import CalendarFeed, Reservation
from reservations.rules.deadlines import PARIS

State = Reservation.State
FEED_STATES = (State.ACCEPTED, State.WAITING_LIST)
DAYS_BACK, DAYS_AHEAD = 31, 400


def calendar_feed_of(*, family) -> CalendarFeed | None:
    return CalendarFeed.objects.filter(family=family, revoked_at__isnull=True).first()


@transaction.atomic
def calendar_feed_create(*, family) -> CalendarFeed:
    """The family's live feed, made if it has none (one live feed per family)."""
    feed = CalendarFeed.objects.select_for_update().filter(family=family, revoked_at__isnull=True).first()
    return feed or CalendarFeed.objects.create(family=family, token=secrets.token_urlsafe(32))


def calendar_feed_revoke(*, family) -> int:
    """Revoke the live feed: its address answers 404 from now on; a new one can be made."""
    return CalendarFeed.objects.filter(family=family, revoked_at__isnull=True).update(revoked_at=timezone.now())


def feed_of_token_or_404(token: str) -> CalendarFeed:
    feed = (CalendarFeed.objects.filter(token=str(token or ""), revoked_at__isnull=True)
            .select_related("family__structure").first())
    if feed is None:
        raise Http404(_("Cet agenda n'existe pas ou a été révoqué."))
    return feed


def feed_ics(*, feed: CalendarFeed, host: str) -> bytes:
    """The iCalendar text: one event per accepted or waiting-listed day of each child."""
    family, structure = feed.family, feed.family.structure
    this_day = today()
    calendar = Calendar()
    calendar.add("prodid", "-//Portail Famille//Réservations//FR")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("x-wr-calname", _("Réservations — %(structure)s") % {"structure": structure.name})
    calendar.add("x-wr-timezone", "Europe/Paris")
    reservations = (Reservation.objects.filter(
        family=family, state__in=FEED_STATES, cancel_requested_at__isnull=True,
        occurrence__date__gte=this_day - datetime.timedelta(days=DAYS_BACK),
        occurrence__date__lte=this_day + datetime.timedelta(days=DAYS_AHEAD),
    ).select_related("child", "occurrence__activity").order_by("occurrence__date", "id"))
    place = ", ".join(part for part in (structure.name, " ".join(structure.address.split())) if part)
    for reservation in reservations:
        occurrence = reservation.occurrence
        arrival = reservation.arrival_time or occurrence.arrival_time
        departure = reservation.departure_time or occurrence.departure_time
        waiting = reservation.state == State.WAITING_LIST
        state = _("En liste d'attente") if waiting else _("Acceptée")
        event = Event()
        event.add("uid", f"reservation-{reservation.pk}@{host}")
        event.add("summary", f"{reservation.child.first_name} — {occurrence.activity.name}"
                             + (f" ({state})" if waiting else ""))
        event.add("dtstart", datetime.datetime.combine(occurrence.date, arrival, tzinfo=PARIS))
        event.add("dtend", datetime.datetime.combine(occurrence.date, departure, tzinfo=PARIS))
        event.add("dtstamp", reservation.submitted_at or timezone.now())
        event.add("location", place)
        event.add("description", _("État : %(state)s") % {"state": state})
        event.add("status", "TENTATIVE" if waiting else "CONFIRMED")
        calendar.add_component(event)
    return calendar.to_ical()
