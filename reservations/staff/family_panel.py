"""The family at a glance, reservations' part: the children's days to come and the requests
still waiting for an answer (accounts.staff_panels)."""
from __future__ import annotations

import datetime

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.staff_panels import Panel, register_family_panel
from reservations.booking.followup import state_label, with_structure_marks
from reservations.models import Reservation

from .forms import OnBehalfForm

State = Reservation.State
WEEKS_AHEAD = 4
WAITING_STATES = (State.NOT_TRANSMITTED, State.AWAITING_DECISION, State.WAITING_LIST)


def family_days_to_come(*, family, today: datetime.date, weeks: int = WEEKS_AHEAD) -> list[Reservation]:
    """Live reservations of the family from today for ``weeks`` weeks, by date; one query."""
    rows = list(with_structure_marks(Reservation.objects.filter(
        family=family, state__in=Reservation.LIVE_STATES, occurrence__date__gte=today,
        occurrence__date__lte=today + datetime.timedelta(weeks=weeks),
    ).select_related("child", "occurrence__activity").order_by("occurrence__date", "occurrence__activity__position",
                                                              "child__first_name", "id")))
    for row in rows:
        row.label = state_label(row)  # shown by the panel's template
    return rows


@register_family_panel
def bookings_panel(*, request, family) -> Panel:
    today = timezone.localdate()
    days = family_days_to_come(family=family, today=today)
    waiting = [row for row in days if row.state in WAITING_STATES]
    context = {"days": days, "waiting_count": len(waiting)}
    if request.user.has_perm("reservations.change_reservation"):
        context["on_behalf_form"] = OnBehalfForm(family=family, initial={"day": today})
        context["on_behalf_url"] = reverse("admin:reservations_reservation_on_behalf", args=[family.pk])
    return Panel(title=_("Réservations des %(weeks)s prochaines semaines") % {"weeks": WEEKS_AHEAD},
                 template="admin/staff_family/_bookings.html", order=20, context=context)
