"""Deadline rules and closures: what decides until when a day can be booked or cancelled,
and which days cannot be booked at all. Read by the pure rules of reservations.rules
(deadlines, closures); imported into reservations.models with the app's other models.
"""
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from portal.dates import WEEKDAY_NAMES, weekday_choices
from portal.models import Structure
from reservations.rules.validation import covers_error, rule_errors


class DeadlineRule(models.Model):
    """Until when a day can be booked or cancelled; interpreted by reservations.rules.deadlines.

    ``clean()`` refuses what cannot mean anything (reservations.rules.validation); a weekly
    rule's cut-offs are its DeadlineCutoff lines, checked together by the admin's inline.
    """

    class Kind(models.TextChoices):
        DAYS_BEFORE = "days_before", _("N jours avant, à une heure donnée")
        WEEKLY_CUTOFF = "weekly_cutoff", _("Avant un jour de la semaine, pour les jours qu'il couvre (limites hebdomadaires)")
        HOURS_BEFORE = "hours_before", _("N heures avant le début")
        BEFORE_PERIOD = "before_period", _("N jours pleins avant le premier jour de la période")
        FIXED_DATE = "fixed_date", _("Jusqu'à une date et heure fixes")

    structure = models.ForeignKey(Structure, on_delete=models.CASCADE, related_name="deadline_rules", verbose_name=_("structure"))
    name = models.CharField(_("nom"), max_length=120)
    kind = models.CharField(_("type"), max_length=20, choices=Kind.choices)
    days = models.PositiveSmallIntegerField(_("nombre de jours"), null=True, blank=True)
    working_days = models.BooleanField(
        _("jours ouvrés"), default=False,
        help_text=_("Compter en jours ouvrés : week-ends, jours fériés et fermetures ne comptent pas."),
    )
    at_time = models.TimeField(_("heure limite"), null=True, blank=True)
    hours = models.PositiveIntegerField(_("nombre d'heures"), null=True, blank=True)
    fixed_deadline = models.DateTimeField(_("date limite fixe"), null=True, blank=True)

    class Meta:
        verbose_name = _("règle de délai")
        verbose_name_plural = _("règles de délai")
        ordering = ["structure", "name"]

    def __str__(self):
        return self.name

    def clean(self):
        errors = rule_errors(kind=self.kind, days=self.days, working_days=self.working_days, at_time=self.at_time,
                             hours=self.hours, fixed_deadline=self.fixed_deadline)
        if errors:
            raise ValidationError({field or NON_FIELD_ERRORS: message for field, message in errors.items()})


class DeadlineCutoff(models.Model):
    """One line of a weekly rule: "vendredi 09:00 pour lundi et mardi" (reservations.rules.deadlines.WeeklyCutoff)."""

    rule = models.ForeignKey(DeadlineRule, on_delete=models.CASCADE, related_name="cutoffs", verbose_name=_("règle"))
    weekday = models.PositiveSmallIntegerField(_("jour limite"), choices=weekday_choices)
    at_time = models.TimeField(_("heure limite"))
    # The weekdays (0 = Monday … 6 = Sunday) whose days close at this cut-off.
    covers = models.JSONField(_("pour les jours"), default=list)

    structure_path = "rule__structure"

    class Meta:
        verbose_name = _("limite hebdomadaire")
        verbose_name_plural = _("limites hebdomadaires")
        ordering = ["rule", "id"]

    def __str__(self):
        days = ", ".join(str(WEEKDAY_NAMES[day]) for day in sorted(self.covers or []) if 0 <= day <= 6)
        return f"{WEEKDAY_NAMES[self.weekday]} {self.at_time:%H:%M} → {days}"

    def clean(self):
        error = covers_error(self.covers)
        if error:
            raise ValidationError({"covers": error})


class Closure(models.Model):
    """Days a structure's activities cannot be booked (public holidays are added automatically).

    Two different things, said per closure by ``effect``: a day that only closes the
    activities (school holidays close the canteen) is unbookable but does not move the
    other days' deadlines; a day the structure itself does not work is also skipped by
    "N jours ouvrés" rules, like a weekend or a public holiday.
    """

    class Kind(models.TextChoices):
        SCHOOL_HOLIDAYS = "school_holidays", _("Vacances scolaires")
        CLOSURE = "closure", _("Fermeture de la structure")

    class Effect(models.TextChoices):
        ACTIVITIES_ONLY = "activities_only", _("Ferme les activités seulement : les délais des autres jours ne bougent pas")
        NON_WORKING = "non_working", _("Jours non ouvrés de la structure : sautés par les délais en jours ouvrés")

    # When staff leave the effect empty: school holidays close activities, the structure works.
    DEFAULT_EFFECT = {Kind.SCHOOL_HOLIDAYS: Effect.ACTIVITIES_ONLY, Kind.CLOSURE: Effect.NON_WORKING}

    structure = models.ForeignKey(Structure, on_delete=models.CASCADE, related_name="closures", verbose_name=_("structure"))
    kind = models.CharField(_("type"), max_length=20, choices=Kind.choices)
    label = models.CharField(_("libellé"), max_length=120)
    start_date = models.DateField(_("du"))
    end_date = models.DateField(_("au"))
    effect = models.CharField(
        _("effet sur les délais"), max_length=20, choices=Effect.choices, blank=True,
        help_text=_("Vide : selon le type (vacances scolaires : ferme les activités seulement ; "
                    "fermeture de la structure : jours non ouvrés)."),
    )

    class Meta:
        verbose_name = _("fermeture")
        verbose_name_plural = _("fermetures")
        ordering = ["structure", "start_date"]

    def __str__(self):
        return f"{self.label} ({self.start_date:%d/%m/%Y} – {self.end_date:%d/%m/%Y})"

    def save(self, *args, **kwargs):
        if not self.effect:
            self.effect = self.DEFAULT_EFFECT.get(self.kind, self.Effect.ACTIVITIES_ONLY)
        super().save(*args, **kwargs)

    def clean(self):
        if self.start_date and self.end_date and self.end_date < self.start_date:
            raise ValidationError({"end_date": _("La date de fin est avant la date de début.")})
