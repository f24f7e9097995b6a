"""Sidebar filters of the days' list: which days to show first, which waiting lists could move."""
import datetime

from django.contrib import admin
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from reservations.rules.places import with_place_counts


class PeriodFilter(admin.SimpleListFilter):
    """The list opens on today and the coming days (not on the oldest day of the database)."""

    title = _("période")
    parameter_name = "periode"
    DEFAULT = "a_venir"

    def lookups(self, request, model_admin):
        return (("a_venir", _("Aujourd'hui et à venir")), ("semaine", _("Cette semaine")),
                ("passees", _("Passées")), ("toutes", _("Toutes")))

    def value(self):
        return super().value() or self.DEFAULT

    def choices(self, changelist):
        for lookup, title in self.lookup_choices:
            yield {"selected": self.value() == str(lookup), "display": title,
                   "query_string": changelist.get_query_string({self.parameter_name: lookup})}

    def queryset(self, request, queryset):
        today = timezone.localdate()
        value = self.value()
        if value == "a_venir":
            return queryset.filter(date__gte=today)
        if value == "semaine":
            monday = today - datetime.timedelta(days=today.weekday())
            return queryset.filter(date__gte=monday, date__lte=monday + datetime.timedelta(days=6))
        if value == "passees":
            return queryset.filter(date__lt=today).order_by("-date", "activity__position", "activity__name")
        return queryset


class WaitingWithPlacesFilter(admin.SimpleListFilter):
    """Days with someone on the waiting list while a place is free (the staff home links here)."""

    title = _("liste d'attente")
    parameter_name = "attente"

    def lookups(self, request, model_admin):
        return (("places_libres", _("Avec des places libres")),)

    def queryset(self, request, queryset):
        if self.value() == "places_libres":
            if "taken" not in queryset.query.annotations:
                queryset = with_place_counts(queryset)
            return queryset.filter(activity__limited_places=True, waiting_taken__gt=0, taken__lt=F("places"))
        return queryset
