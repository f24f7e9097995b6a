"""The parent's form to top up a wallet: an amount, checked here and again by the service."""
from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from billing.money import format_money


class TopUpForm(forms.Form):
    montant = forms.DecimalField(
        label=_("Montant à recharger (€)"), max_digits=8, decimal_places=2, localize=True,
        error_messages={"required": _("Indiquez le montant à recharger."),
                        "invalid": _("Saisissez un montant, par exemple 20,00."),
                        "max_decimal_places": _("Deux chiffres après la virgule au plus."),
                        "max_digits": _("Ce montant est trop grand."),
                        "max_whole_digits": _("Ce montant est trop grand.")},
    )

    def __init__(self, *args, minimum: Decimal, maximum: Decimal, **kwargs):
        super().__init__(*args, **kwargs)
        self.minimum, self.maximum = minimum, maximum

    def clean_montant(self):
        amount = self.cleaned_data["montant"]
        if not (self.minimum <= amount <= self.maximum):
            raise forms.ValidationError(_("Choisissez un montant entre %(min)s et %(max)s.")
                                        % {"min": format_money(self.minimum), "max": format_money(self.maximum)})
        return amount
