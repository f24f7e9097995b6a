"""Parent pages: month calendar, day detail, toggles, week pattern, two-step cart, follow-up.

Thin views: parse, call one selector or service, render. Everything is fetched through
``request.family``: another family's child or day is a 404.
"""
import datetime

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.decorators import family_required
from accounts.selectors import child_among_or_404, child_of_family_or_404, children_of_family
from portal.dates import MAX_PERIOD_DAYS, today
from portal.fragments import render_page, wants_fragment
from portal.printing import html_to_pdf
from reservations.locking import CartBusy
from reservations.rules import states

from . import selectors
from .cart import (
    REMOVED,
    BookingRefused,
    CancellationToCart,
    cart_cancellation_add,
    cart_clear,
    cart_toggle_line,
    cart_week_pattern,
)
from .confirmation import cart_confirm
from .followup import STATE_ICONS, followup_rows
from .forms import ConfirmForm, ToggleForm, WeekPatternForm, parse_day, parse_filters, parse_month
from .summary import cart_summary


def _refuse(request, message, *, status=400, back=None):
    return render_page(request, "reservations/refused.html",
                       {"message": message, "back": back or reverse("reservations:calendar")}, status=status)


def _cell_urls() -> dict:
    """URLs every day cell uses, reversed once per page rather than once per cell."""
    return {"toggle_url": reverse("reservations:toggle"),
            "day_url_prefix": reverse("reservations:day", args=["0000-00-00"]).removesuffix("0000-00-00/")}


def _is_htmx(request) -> bool:
    return request.headers.get("HX-Request") == "true"


def _pick_child(request, children):
    """The child asked for, among the family's children already read (another family's → 404)."""
    wanted = request.GET.get("child") or request.POST.get("child")
    return child_among_or_404(children, wanted) if wanted else children[0]


def _pick_activity(request):
    wanted = request.GET.get("activity")
    if not wanted or wanted == "toutes":
        return None
    return selectors.activity_of_family_or_404(family=request.family, activity_id=wanted)


LAST_CALENDAR_KEY = "reservations_last_calendar"


def _remember_calendar(request) -> None:
    """Keep the child, activity and month being viewed, so "Modifier" comes back to them."""
    seen = {"family": request.family.pk, "path": request.get_full_path()}
    if request.session.get(LAST_CALENDAR_KEY) != seen:   # unchanged: no session write for this page
        request.session[LAST_CALENDAR_KEY] = seen


def _calendar_return_url(request) -> str:
    """The calendar as the parent left it (same family only: a structure switch forgets it)."""
    calendar_path = reverse("reservations:calendar")
    remembered = request.session.get(LAST_CALENDAR_KEY) or {}
    path = str(remembered.get("path", ""))
    if remembered.get("family") == request.family.pk and path.split("?", 1)[0] == calendar_path:
        return path
    return calendar_path


@require_GET
@family_required
def calendar(request):
    children = list(children_of_family(request.family))
    if not children:
        return render(request, "reservations/no_child.html")
    child = _pick_child(request, children)
    activity = _pick_activity(request)
    this_day = today()
    try:
        month = parse_month(request.GET.get("month"), default=this_day)
    except ValueError:
        return _refuse(request, _("Mois illisible : choisissez-le avec les boutons « mois précédent » et « mois suivant »."))
    if not selectors.month_in_range(month, this_day):
        return _refuse(request,
                       _("Ce mois est trop loin : le calendrier montre de %(low)s à %(high)s mois autour d'aujourd'hui.") % {
            "low": selectors.MONTHS_BACK, "high": selectors.MONTHS_AHEAD})
    view = selectors.calendar_month(family=request.family, child=child, month=month, activity=activity, now=timezone.now())
    _remember_calendar(request)
    return render(request, "reservations/calendar.html", {
        "view": view, "children": children, "child": child, "activity": activity,
        "previous_ok": selectors.month_in_range(view.previous_month, this_day),
        "next_ok": selectors.month_in_range(view.next_month, this_day),
        "next_with_days": view.next_with_days if view.next_with_days and selectors.month_in_range(
            view.next_with_days, this_day) else None,
        "here": request.get_full_path(), **_cell_urls(),
    })


@require_GET
@family_required
def day(request, day):
    children = list(children_of_family(request.family))
    if not children:
        return render(request, "reservations/no_child.html")
    child = _pick_child(request, children)
    try:
        when = parse_day(day)
    except ValueError:
        return _refuse(request, _("Date illisible."))
    if not selectors.month_in_range(when.replace(day=1), today()):
        return _refuse(request, _("Cette date est trop loin pour le calendrier."))
    view = selectors.calendar_day(family=request.family, child=child, day=when, now=timezone.now())
    back = f"{reverse('reservations:calendar')}?child={child.id}&month={when:%Y-%m}"
    return render(request, "reservations/day.html", {"view": view, "child": child, "back": back,
                                                     "here": request.get_full_path(),
                                                     "legend_states": states.legend(
                                                         aggregate=False,
                                                         limited=any(s.places_left is not None for s in view.slots))})


@require_POST
@family_required
def toggle(request):
    form = ToggleForm(request.POST)
    if not form.is_valid():
        return _refuse(request, _("Demande incomplète : recommencez depuis le calendrier."))
    data = form.cleaned_data
    child = child_of_family_or_404(request.family, data["child"])
    occurrence = selectors.occurrence_of_family_or_404(family=request.family, occurrence_id=data["occurrence"])
    next_url = data["next"] if url_has_allowed_host_and_scheme(data["next"], allowed_hosts={request.get_host()}) else ""
    next_url = next_url or f"{reverse('reservations:calendar')}?child={child.id}&month={occurrence.date:%Y-%m}"
    now = timezone.now()
    htmx = _is_htmx(request)
    error = toggled = None
    try:
        toggled = cart_toggle_line(family=request.family, child=child, occurrence=occurrence, now=now,
                                   arrival_time=data["arrival_time"] or None, day_after=htmx)
    except BookingRefused as refused:
        error = refused.message
    if htmx:
        if toggled is None:   # refused: the day as it stands, and the reason in the cell
            slot, count = selectors.slot_for(family=request.family, child=child, occurrence=occurrence, now=now)
        else:
            slot, count = toggled.slot, toggled.cart_count
        # Only what changed: the cell (or the day page's line) and, out of band, the cart badge.
        context = {"slot": slot, "child": child, "error": error, "here": next_url, "htmx": True,
                   "cart_count": count, **_cell_urls()}
        if data["view"] == "slot":
            return render(request, "reservations/_slot.html", context)
        context["cell"] = selectors.DayCell(date=occurrence.date, in_month=True, state=slot.state, slots=[slot])
        return render(request, "reservations/_day_cell.html", context)
    if toggled is None:   # no JS: the reason on a page of its own, a link back
        return _refuse(request, error, status=409, back=next_url)
    if toggled.done == REMOVED:
        messages.info(request, _("Retiré du panier : %(activity)s le %(day)s.") % {"activity": occurrence.activity.name,
                                                                                  "day": occurrence.date.strftime("%d/%m/%Y")})
    return redirect(next_url)


@require_http_methods(["GET", "POST"])
@family_required
def week_pattern(request):
    children = list(children_of_family(request.family))
    if not children:
        return render(request, "reservations/no_child.html")
    child = _pick_child(request, children)
    this_day = today()
    activities = selectors.enrolled_activities(family=request.family, child=child, start=this_day,
                                               end=this_day + datetime.timedelta(days=MAX_PERIOD_DAYS))
    initial = {"start": this_day, "end": this_day + datetime.timedelta(days=28)}
    form = WeekPatternForm(request.POST or None, activities=activities, initial=initial)
    result = None
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            activity = next(a for a in activities if a.id == data["activity"])
            try:
                result = cart_week_pattern(
                    family=request.family, child=child, activity=activity, weekdays=data["weekdays"],
                    start=data["start"], end=data["end"], action=data["action"], now=timezone.now())
            except BookingRefused as refused:
                form.add_error(None, refused.message)
                status = 400
        else:
            status = 400
    return render(request, "reservations/week_pattern.html", {
        "form": form, "children": children, "child": child, "result": result,
        "cart_count": selectors.cart_count(family=request.family),
    }, status=status)


@require_GET
@family_required
def cart(request):
    summary = cart_summary(family=request.family, now=timezone.now())
    tables = [
        (_("Récapitulatif des réservations"), summary.bookings, summary.total_text, "recap-reservations"),
        (_("Récapitulatif des annulations"), summary.cancellations, summary.cancellations_text, "recap-annulations"),
    ]
    return render_page(request, "reservations/cart.html", {
        "summary": summary, "tables": tables, "calendar_url": _calendar_return_url(request),
    })


@require_POST
@family_required
def cart_abandon(request):
    """"Tout abandonner": the cart is emptied, back to the calendar as the parent left it."""
    count = cart_clear(family=request.family)
    messages.info(request, ngettext("Panier vidé : %(count)s demande abandonnée.",
                                    "Panier vidé : %(count)s demandes abandonnées.", count) % {"count": count})
    return redirect(_calendar_return_url(request))


@require_POST
@family_required
def confirm(request):
    form = ConfirmForm(request.POST)
    if not form.is_valid():
        return _refuse(request, _("Rien n'a été validé : affichez le récapitulatif avant de valider."),
                       back=reverse("reservations:cart"))
    try:
        result = cart_confirm(family=request.family, token=form.cleaned_data["token"],
                              summary_fingerprint=form.cleaned_data["fingerprint"], now=timezone.now(), user=request.user)
    except CartBusy as busy:
        response = _refuse(request, str(busy.message), status=503, back=reverse("reservations:cart"))
        response["Retry-After"] = "5"
        return response
    except BookingRefused as refused:
        return _refuse(request, refused.message, back=reverse("reservations:cart"))
    result_url = reverse("reservations:confirmation", kwargs={"token": result.token})
    if wants_fragment(request):
        # htmx: the result at once, as the result page's fragment, and its URL in the address bar —
        # one request instead of a redirect and a page (the result page itself still shows it later).
        response = _result_page(request, result)
        response["HX-Push-Url"] = result_url
    else:
        response = redirect(result_url)
    if result.lock_held is not None:   # how long the days stayed locked (bench/rush.py reads it)
        response["Server-Timing"] = f"lock;dur={result.lock_held * 1000:.2f}"
    return response


@require_GET
@family_required
def confirmation(request, token):
    return _result_page(request, selectors.confirmation_of_family_or_404(family=request.family, token=token))


def _result_page(request, result):
    return render_page(request, "reservations/confirmation.html", {
        "lines": result.lines, "changes": result.changes, "recorded": result.recorded_count,
        "not_recorded": result.not_recorded_count})


# --- follow-up page -----------------------------------------------------------------------

def _followup_context(request):
    now = timezone.now()
    form, filters, valid = parse_filters(request.GET, today=today(now))
    rows = followup_rows(family=request.family, filters=filters, now=now) if valid else []
    for row in rows:
        row.icon, row.css = STATE_ICONS.get(row.state_code, ("", ""))
    return {"form": form, "filters": filters, "valid": valid, "rows": rows, "now": now}


@family_required
def followup(request):
    """"Suivi des réservations": filters (GET), the table, print and cancel buttons."""
    context = _followup_context(request)
    return render(request, "reservations/followup.html", context, status=200 if context["valid"] else 400)


@family_required
def followup_print(request):
    """The same table as a PDF (WeasyPrint): structure, family, period, filters, page numbers."""
    context = _followup_context(request)
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


# What the follow-up's "Annuler" tells the parent, by what it did to the cart.
CANCELLATION_MESSAGES = {
    CancellationToCart.ADDED: (messages.SUCCESS, gettext_lazy(
        "Annulation ajoutée à votre panier : %(label)s. Elle ne sera enregistrée qu'après « Valider » puis "
        "« Valider réellement »."
    )),
    CancellationToCart.ALREADY_IN_CART: (messages.INFO, gettext_lazy("Cette annulation est déjà dans votre panier : %(label)s.")),
    CancellationToCart.NOTHING_TO_CANCEL: (messages.ERROR, gettext_lazy("%(label)s : il n'y a rien à annuler.")),
    CancellationToCart.LINE_REMOVED: (messages.INFO,
                                      gettext_lazy("%(label)s : la ligne de votre panier pour ce jour a été retirée.")),
}


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
    reservation = selectors.reservation_of_family_or_404(family=request.family, reservation_id=raw)
    label = f"{reservation.child.first_name} — {reservation.occurrence.activity.name} — {reservation.occurrence.date:%d/%m/%Y}"
    try:
        done = cart_cancellation_add(family=request.family, reservation=reservation, now=timezone.now())
    except BookingRefused as refused:
        messages.error(request, f"{label} : {refused.message}")
        return redirect(back)
    level, text = CANCELLATION_MESSAGES[done]
    messages.add_message(request, level, str(text) % {"label": label})
    return redirect(back)
