"""The staff home's panels of reservations: requests to decide, waiting lists that could move,
and the last night's run of each structure (accounts.staff_panels)."""
from __future__ import annotations

from django.db.models import F, OuterRef, Subquery
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from accounts.staff_panels import Panel, TodoItem, register_home_panel
from portal.models import Structure
from reservations.models import Occurrence, Reservation, TransmissionRun
from reservations.nightly.figures import figures_text
from reservations.rules.places import with_place_counts

State = Reservation.State


def _scoped(queryset, path: str, structure_ids):
    return queryset if structure_ids is None else queryset.filter(**{f"{path}__in": structure_ids})


def waiting_lists_with_free_places(structure_ids):
    """Days to come of limited activities with someone waiting while a place is free (the night
    promotes them, or staff raise places / decide sooner)."""
    days = _scoped(Occurrence.objects.filter(date__gte=timezone.localdate(), activity__limited_places=True),
                   "activity__structure", structure_ids)
    return with_place_counts(days).filter(waiting_taken__gt=0, taken__lt=F("places"))


@register_home_panel
def requests_panel(*, request, structure_ids) -> Panel | None:
    todo = []
    awaiting = _scoped(Reservation.objects.filter(state=State.AWAITING_DECISION), "family__structure", structure_ids).count()
    if awaiting:
        todo.append(TodoItem(awaiting, ngettext("demande en attente de votre décision", "demandes en attente de votre décision",
                                                awaiting),
                             reverse("admin:reservations_reservation_changelist") + f"?state__exact={State.AWAITING_DECISION}",
                             urgent=True))
    movable = waiting_lists_with_free_places(structure_ids).count()
    if movable:
        todo.append(TodoItem(movable, ngettext("journée avec une liste d'attente et des places libres",
                                               "journées avec une liste d'attente et des places libres", movable),
                             reverse("admin:reservations_occurrence_changelist") + "?attente=places_libres"))
    return Panel(title="", template="", todo=todo, order=10) if todo else None


@register_home_panel
def last_runs_panel(*, request, structure_ids) -> Panel | None:
    """Each structure's latest run: its state and its counts in words; a failed run is to do."""
    last = TransmissionRun.objects.filter(structure=OuterRef("pk")).order_by("-started_at", "-id").values("pk")[:1]
    structures = list(_scoped(Structure.objects.order_by("name"), "pk", structure_ids).annotate(last_run=Subquery(last)))
    runs = TransmissionRun.objects.in_bulk([structure.last_run for structure in structures if structure.last_run])
    latest = {run.structure_id: run for run in runs.values()}
    rows = [{"structure": structure, "run": latest.get(structure.pk),
             "words": figures_text(latest[structure.pk].counts) if structure.pk in latest else ""}
            for structure in structures]
    if not rows:
        return None
    failed = [row for row in rows if row["run"] is not None and row["run"].status == TransmissionRun.Status.FAILED]
    todo = [TodoItem(len(failed), ngettext("transmission de nuit échouée", "transmissions de nuit échouées", len(failed)),
                     reverse("admin:reservations_transmissionrun_changelist") + "?status__exact=failed", urgent=True)
            ] if failed else []
    return Panel(title=_("Dernière transmission de nuit"), template="admin/staff_home/_runs.html", context={"rows": rows},
                 order=50, todo=todo)


