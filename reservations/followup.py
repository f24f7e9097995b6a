"""The follow-up page "Suivi des réservations": filter, read, print, ask to cancel.

Every read is restricted to ``request.family`` and runs a constant number of queries
(reservations, enrolments for the age groups, closures for the deadlines, cart lines)
whatever the number of lines. Cancelling adds a cancel line to the cart (H3's
``services.cart_toggle``): nothing is cancelled before the parent confirms the cart.
"""
from __future__ import annotations

import datetime
from dataclasses import dataclass

from django import forms
from django.contrib import messages
from django.db.models import Q
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from accounts.decorators import family_required
from billing.printing import html_to_pdf

from . import services
from .availability import WORKING_DAYS_LOOKBACK, Context, windows
from .closures import closed_days
from .models import CartLine, Enrolment, Reservation

State = Reservation.State
MAX_PERIOD_DAYS = 731


class Kind:
    ALL = "tous"
    AWAITING = "attente_reponse"
    WAITING = "liste_attente"
    NOT_TRANSMITTED = "non_transmise"
    CANCELLED = "annulees"
    ACCEPTED = "acceptees"

    CHOICES = [
        (ALL, gettext_lazy("Tous")),
        (AWAITING, gettext_lazy("En attente réponse")),
        (WAITING, gettext_lazy("En liste d'attente")),
        (NOT_TRANSMITTED, gettext_lazy("Non transmise")),
        (CANCELLED, gettext_lazy("Annulées/Refusées")),
        (ACCEPTED, gettext_lazy("Acceptées")),
    ]
    STATES = {
        AWAITING: (State.AWAITING_DECISION,),
        WAITING: (State.WAITING_LIST,),
        NOT_TRANSMITTED: (State.NOT_TRANSMITTED,),
        CANCELLED: (State.CANCELLED, State.REFUSED),
        ACCEPTED: (State.ACCEPTED,),
    }


DATE_FORMATS = ["%Y-%m-%d", "%d/%m/%Y"]
DATE_ERRORS = {"invalid": gettext_lazy("Saisissez une date valide, par exemple 31/01/2027.")}


class FollowupForm(forms.Form):
    du = forms.DateField(label=gettext_lazy("Période du"), required=False, input_formats=DATE_FORMATS,
                         error_messages=DATE_ERRORS, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    au = forms.DateField(label=gettext_lazy("au"), required=False, input_formats=DATE_FORMATS,
                         error_messages=DATE_ERRORS, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    type = forms.ChoiceField(label=gettext_lazy("Type de réservations"), choices=Kind.CHOICES, required=False,
                             error_messages={"invalid_choice": gettext_lazy("Type de réservations inconnu.")})

    def clean(self):
        data = super().clean()
        start, end = data.get("du"), data.get("au")
        if start and end:
            if end < start:
                raise forms.ValidationError(_("La date « au » doit être après la date « du »."))
            if (end - start).days > MAX_PERIOD_DAYS:
                raise forms.ValidationError(_("Choisissez une période de deux ans au plus."))
        return data


def default_period(today: datetime.date) -> tuple[datetime.date, datetime.date]:
    """From the first day of the current month to the end of the month after next."""
    start = today.replace(day=1)
    index = start.year * 12 + start.month - 1 + 3
    end = datetime.date(index // 12, index % 12 + 1, 1) - datetime.timedelta(days=1)
    return start, end


@dataclass
class Filters:
    start: datetime.date
    end: datetime.date
    kind: str

    @property
    def kind_label(self) -> str:
        return str(dict(Kind.CHOICES)[self.kind])

    @property
    def query(self) -> str:
        return urlencode({"du": self.start.isoformat(), "au": self.end.isoformat(), "type": self.kind})


def parse_filters(data, *, today: datetime.date) -> tuple[FollowupForm, Filters, bool]:
    """(form, filters to apply, valid). Invalid input falls back to the defaults."""
    start, end = default_period(today)
    if not any(key in data for key in ("du", "au", "type")):
        form = FollowupForm(initial={"du": start, "au": end, "type": Kind.ALL})
        return form, Filters(start, end, Kind.ALL), True
    form = FollowupForm(data)
    if not form.is_valid():
        return form, Filters(start, end, Kind.ALL), False
    chosen_start = form.cleaned_data["du"] or start
    chosen_end = form.cleaned_data["au"] or max(end, chosen_start)
    if chosen_end < chosen_start:
        form.add_error(None, _("La date « au » doit être après la date « du »."))
        return form, Filters(start, end, Kind.ALL), False
    return form, Filters(chosen_start, chosen_end, form.cleaned_data["type"] or Kind.ALL), True


@dataclass
class Row:
    reservation: Reservation
    child_label: str
    state_label: str
    state_code: str
    cancellable: bool
    in_cart: bool
    cancel_deadline: datetime.datetime | None

    @property
    def occurrence(self):
        return self.reservation.occurrence


STATE_ICONS = {
    State.NOT_TRANSMITTED: ("…", "text-bg-secondary"),
    State.AWAITING_DECISION: ("?", "text-bg-info"),
    State.WAITING_LIST: ("⧖", "text-bg-warning"),
    State.ACCEPTED: ("✓", "text-bg-success"),
    State.CANCELLED: ("✕", "text-bg-danger"),
    State.REFUSED: ("✕", "text-bg-danger"),
}


def state_label(reservation: Reservation) -> str:
    label = reservation.get_state_display()
    if reservation.state == State.NOT_TRANSMITTED and reservation.waiting_mark:
        label = _("%(state)s — mise en liste d'attente") % {"state": label}
    if reservation.cancel_requested_at is not None and reservation.state in Reservation.LIVE_STATES:
        label = _("%(state)s — annulation demandée") % {"state": label}
    return label


def followup_rows(*, family, filters: Filters, now: datetime.datetime) -> list[Row]:
    """The family's reservations of the period and kind, by date; 4 queries."""
    queryset = Reservation.objects.filter(
        family=family, occurrence__date__gte=filters.start, occurrence__date__lte=filters.end,
    ).select_related(
        "child", "occurrence__activity__booking_rule", "occurrence__activity__cancellation_rule",
    ).order_by("occurrence__date", "occurrence__activity__position", "occurrence__activity__name", "child__first_name", "id")
    if filters.kind in Kind.STATES:
        queryset = queryset.filter(state__in=Kind.STATES[filters.kind])
    reservations = list(queryset)
    if not reservations:
        return []

    ages = {}
    enrolments = Enrolment.objects.filter(
        child__family=family, child_id__in={r.child_id for r in reservations},
        activity_id__in={r.occurrence.activity_id for r in reservations},
        start_date__lte=filters.end, end_date__gte=filters.start,
    ).exclude(age_group="").values_list("child_id", "activity_id", "start_date", "end_date", "age_group")
    for child_id, activity_id, first, last, group in enrolments:
        ages.setdefault((child_id, activity_id), []).append((first, last, group))

    live = [r for r in reservations if r.state in Reservation.LIVE_STATES and r.cancel_requested_at is None]
    ctx = Context(family=family, now=now)
    in_cart = set()
    if live:
        first_day = min(r.occurrence.date for r in live)
        last_day = max(r.occurrence.date for r in live)
        ctx.closed = closed_days(structure_id=family.structure_id, start=first_day - WORKING_DAYS_LOOKBACK, end=last_day)
        in_cart = set(CartLine.objects.filter(
            family=family, action=CartLine.Action.CANCEL, occurrence_id__in={r.occurrence_id for r in live},
        ).values_list("child_id", "occurrence_id"))

    live_ids = {r.id for r in live}
    rows = []
    for reservation in reservations:
        occurrence = reservation.occurrence
        group = next((g for first, last, g in ages.get((reservation.child_id, occurrence.activity_id), ())
                      if first <= occurrence.date <= last), "")
        child_label = f"{reservation.child.first_name} {group}".strip()
        cancellable, deadline = False, None
        if reservation.id in live_ids:
            _opens, _book, deadline = windows(ctx, occurrence)
            cancellable = now <= deadline
        rows.append(Row(
            reservation=reservation, child_label=child_label, state_label=state_label(reservation),
            state_code=reservation.state, cancellable=cancellable,
            in_cart=(reservation.child_id, reservation.occurrence_id) in in_cart, cancel_deadline=deadline,
        ))
    return rows


def _context(request):
    now = timezone.now()
    form, filters, valid = parse_filters(request.GET, today=timezone.localdate(now))
    rows = followup_rows(family=request.family, filters=filters, now=now) if valid else []
    for row in rows:
        row.icon, row.css = STATE_ICONS.get(row.state_code, ("", ""))
    return {"form": form, "filters": filters, "valid": valid, "rows": rows, "now": now}


@family_required
def followup(request):
    """"Suivi des réservations": filters (GET), the table, print and cancel buttons."""
    context = _context(request)
    return render(request, "reservations/followup.html", context, status=200 if context["valid"] else 400)


@family_required
def followup_print(request):
    """The same table as a PDF (WeasyPrint): structure, family, period, filters, page numbers."""
    context = _context(request)
    if not context["valid"]:
        return render(request, "reservations/followup.html", context, status=400)
    html = render_to_string("reservations/pdf/followup.html", {
        **context, "structure": request.structure, "family": request.family, "generated_at": timezone.localtime(),
    }, request=request)
    content = html_to_pdf(html)
    filters = context["filters"]
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = (
        f'inline; filename="suivi-reservations-{filters.start:%Y%m%d}-{filters.end:%Y%m%d}.pdf"'
    )
    return response


@require_POST
@family_required
def followup_cancel(request):
    """"Annuler": puts a cancel line for this request in the cart (confirmed later, with the cart)."""
    back = reverse("reservations:followup")
    filters = {key: request.POST[key] for key in ("du", "au", "type") if request.POST.get(key)}
    if filters:
        back = f"{back}?{urlencode(filters)}"
    raw = request.POST.get("reservation", "")
    if not raw.isdigit():
        messages.error(request, _("Demande d'annulation illisible."))
        return redirect(back)
    reservation = get_object_or_404(
        Reservation.objects.select_related("child", "occurrence__activity"),
        Q(pk=int(raw), family=request.family),
    )
    label = f"{reservation.child.first_name} — {reservation.occurrence.activity.name} — {reservation.occurrence.date:%d/%m/%Y}"
    if CartLine.objects.filter(family=request.family, child=reservation.child, occurrence=reservation.occurrence,
                               action=CartLine.Action.CANCEL).exists():
        messages.info(request, _("Cette annulation est déjà dans votre panier : %(label)s.") % {"label": label})
        return redirect(back)
    if reservation.state not in Reservation.LIVE_STATES or reservation.cancel_requested_at is not None:
        messages.error(request, _("%(label)s : il n'y a rien à annuler.") % {"label": label})
        return redirect(back)
    try:
        action = services.cart_toggle(family=request.family, child=reservation.child, occurrence=reservation.occurrence,
                                      now=timezone.now())
    except services.BookingRefused as refused:
        messages.error(request, f"{label} : {refused.message}")
        return redirect(back)
    if action != CartLine.Action.CANCEL:
        # Not a cancellation after all (a line for this day was in the cart): put things back as they were.
        if action == "removed":
            messages.info(request, _("%(label)s : la ligne de votre panier pour ce jour a été retirée.") % {"label": label})
        else:
            CartLine.objects.filter(family=request.family, child=reservation.child, occurrence=reservation.occurrence).delete()
            messages.error(request, _("%(label)s : il n'y a rien à annuler.") % {"label": label})
        return redirect(back)
    messages.success(request, _(
        "Annulation ajoutée à votre panier : %(label)s. Elle ne sera enregistrée qu'après « Valider » puis "
        "« Valider réellement »."
    ) % {"label": label})
    return redirect(back)
