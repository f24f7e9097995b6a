"""Booking or cancelling a day for a child on the parent's behalf, from the family at a glance.

The form sits in the glance page's bookings panel (reservations.staff.family_panel); it posts
to /admin/reservations/reservation/pour-la-famille/<family id>/, which finds the family among
the staff member's structures (another structure's family: 404), asks
reservations.staff.on_behalf and comes back to the glance page with the line's result.
"""
from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseNotAllowed
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.admin_scope import allowed_structure_ids, scope_queryset
from accounts.models import Family
from reservations.booking.results import Outcome
from reservations.locking import CartBusy
from reservations.models import Activity, Occurrence
from reservations.staff.forms import OnBehalfForm
from reservations.staff.on_behalf import OnBehalfRefused, day_change_on_behalf

DONE = (Outcome.BOOKED, Outcome.WAITING, Outcome.CANCELLED, Outcome.CANCEL_REQUESTED)


def on_behalf_view(model_admin, request, family_id: int):
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    if not model_admin.has_change_permission(request):
        raise PermissionDenied
    family = get_object_or_404(scope_queryset(Family.objects.all(), allowed_structure_ids(request)), pk=family_id)
    back = reverse("admin:accounts_family_glance", args=[family.pk])
    form = OnBehalfForm(request.POST, family=family)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, str(error))
        return redirect(back)
    data = form.cleaned_data
    child = family.children.get(pk=data["child"])
    occurrence = (Occurrence.objects.select_related("activity")
                  .filter(activity_id=data["activity"], date=data["day"]).first())
    if occurrence is None:
        activity = Activity.objects.get(pk=data["activity"])
        messages.error(request, _("Pas de journée « %(activity)s » le %(day)s.") % {
            "activity": activity.name, "day": data["day"].strftime("%d/%m/%Y")})
        return redirect(back)
    try:
        line = day_change_on_behalf(family=family, child=child, occurrence=occurrence, action=data["action"],
                                    user=request.user, now=timezone.now(),
                                    override_deadlines=data["override_deadlines"], reason=data["reason"])
    except OnBehalfRefused as refused:
        messages.error(request, refused.message)
    except CartBusy as busy:
        messages.warning(request, str(busy.message))
    else:
        text = _("%(child)s, %(activity)s le %(day)s : %(observation)s") % {
            "child": line.child, "activity": line.activity, "day": line.date.strftime("%d/%m/%Y"),
            "observation": line.observation}
        messages.add_message(request, messages.SUCCESS if line.outcome in DONE else messages.WARNING, text)
    return redirect(back)
