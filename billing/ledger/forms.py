"""Forms of the parent pages (filters and the balance estimate)."""
import datetime

from django import forms
from django.utils.translation import gettext_lazy as _

from portal.dates import MAX_PERIOD_DAYS


class BalanceEstimateForm(forms.Form):
    """'Calculez vos réservations jusqu'au [date]', with the kinds of reservations."""

    jusqu_au = forms.DateField(
        label=_("Calculez vos réservations jusqu'au"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        input_formats=["%Y-%m-%d", "%d/%m/%Y"],
        error_messages={"invalid": _("Saisissez une date valide, par exemple 31/01/2027."),
                        "required": _("Indiquez jusqu'à quelle date calculer vos réservations.")},
    )
    confirmees = forms.BooleanField(label=_("Confirmées"), required=False)
    en_attente = forms.BooleanField(label=_("En attente"), required=False)

    def __init__(self, *args, today: datetime.date, **kwargs):
        self.today = today
        super().__init__(*args, **kwargs)

    def clean_jusqu_au(self):
        until = self.cleaned_data["jusqu_au"]
        if until < self.today:
            raise forms.ValidationError(_("Choisissez une date à partir d'aujourd'hui."))
        if until > self.today + datetime.timedelta(days=MAX_PERIOD_DAYS):
            raise forms.ValidationError(_("Choisissez une date dans les douze prochains mois."))
        return until
