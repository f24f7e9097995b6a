"""Forms of staff pages outside the ModelAdmins: booking a day on a parent's behalf."""
from __future__ import annotations

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import Family
from reservations.models import Activity, CartLine

from .on_behalf import REASON_LENGTH


class OnBehalfForm(forms.Form):
    """One day of one child: book or cancel, maybe past the deadlines with a reason."""

    child = forms.TypedChoiceField(label=gettext_lazy("Enfant"), coerce=int)
    activity = forms.TypedChoiceField(label=gettext_lazy("Activité"), coerce=int)
    day = forms.DateField(label=gettext_lazy("Jour"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    action = forms.ChoiceField(label=gettext_lazy("Action"), choices=CartLine.Action.choices, initial=CartLine.Action.BOOK,
                               widget=forms.RadioSelect)
    override_deadlines = forms.BooleanField(label=gettext_lazy("Passer outre les délais (motif obligatoire)"),
                                            required=False)
    reason = forms.CharField(label=gettext_lazy("Motif"), max_length=REASON_LENGTH, required=False,
                             help_text=gettext_lazy("Gardé dans l'historique de la réservation, avec votre nom."))

    def __init__(self, *args, family: Family, **kwargs):
        super().__init__(*args, **kwargs)
        children = [(child.pk, f"{child.first_name} {child.last_name}")
                    for child in family.children.order_by("first_name", "id")]
        activities = [(activity.pk, activity.name) for activity in
                      Activity.objects.filter(structure_id=family.structure_id, is_active=True).order_by("position", "name")]
        self.fields["child"].choices = children  # type: ignore[attr-defined]
        self.fields["activity"].choices = activities  # type: ignore[attr-defined]

    def clean(self):
        data = super().clean()
        if data.get("override_deadlines") and not " ".join((data.get("reason") or "").split()):
            self.add_error("reason", _("Indiquez le motif pour passer outre les délais."))
        return data
