"""Staff admin of online payment, scoped to the staff member's structures.

*Prestataires de paiement en ligne*: a structure's provider, identifiers, test/production
mode and top-up bounds. Secret keys are write-only: the form never shows them back (an
empty field keeps the stored key). *Paiements en ligne*: every attempt with its state
history, read-only; one paid online is corrected like any ledger line, by the opposite
Payment (Facturation › Règlements, action "Créer une ligne de correction").
"""
from django import forms
from django.conf import settings
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from accounts.admin_scope import StructureScopedAdmin

from .models import AttemptEvent, PaymentAttempt, ProviderConfig

SECRET_FIELDS = ("secret_test", "secret_production")
IDENTIFIER_DIGITS = {ProviderConfig.Kind.PAYFIP: 6, ProviderConfig.Kind.SYSTEMPAY: 8, ProviderConfig.Kind.PAYZEN: 8}


class ProviderConfigForm(forms.ModelForm):
    secret_test = forms.CharField(
        label=_("clé de test"), required=False, strip=True, widget=forms.PasswordInput(render_value=False),
        help_text=_("Jamais réaffichée. Laisser vide pour garder la clé enregistrée."))
    secret_production = forms.CharField(
        label=_("clé de production"), required=False, strip=True, widget=forms.PasswordInput(render_value=False),
        help_text=_("Jamais réaffichée. Laisser vide pour garder la clé enregistrée."))

    service_url = forms.URLField(label=_("adresse du service"), required=False, assume_scheme="https",
                                 help_text=_("Laisser vide pour l'adresse officielle du prestataire."))

    class Meta:
        model = ProviderConfig
        fields = ("structure", "kind", "is_active", "production", "identifier", "secret_test", "secret_production",
                  "signature_algo", "service_url", "topup_min", "topup_max")

    def clean(self):
        cleaned = super().clean()
        kind = cleaned.get("kind")
        if kind == ProviderConfig.Kind.DUMMY and not settings.DEBUG:
            self.add_error("kind", _("Le prestataire de simulation n'est utilisable qu'en développement (DEBUG)."))
        digits = IDENTIFIER_DIGITS.get(kind)
        identifier = cleaned.get("identifier") or ""
        if digits and not (identifier.isdigit() and len(identifier) == digits):
            self.add_error("identifier", _("L'identifiant doit compter %(digits)s chiffres.") % {"digits": digits})
        if kind in (ProviderConfig.Kind.SYSTEMPAY, ProviderConfig.Kind.PAYZEN):
            for name in SECRET_FIELDS:
                if cleaned.get(name) and not cleaned[name].isalnum():
                    self.add_error(name, _("Une clé ne contient que des lettres et des chiffres."))
            needed = "secret_production" if cleaned.get("production") else "secret_test"
            if not (cleaned.get(needed) or getattr(self.instance, needed, "")):
                self.add_error(needed, _("Cette clé est nécessaire dans ce mode."))
        low, high = cleaned.get("topup_min"), cleaned.get("topup_max")
        if low is not None and high is not None and low > high:
            self.add_error("topup_max", _("Le maximum doit être supérieur ou égal au minimum."))
        return cleaned

    def _post_clean(self):
        # An empty secret field keeps the stored key (the page never had it).
        kept = {name: getattr(self.instance, name) for name in SECRET_FIELDS}
        super()._post_clean()
        for name in SECRET_FIELDS:
            if not self.cleaned_data.get(name):
                setattr(self.instance, name, kept[name] or "")


@admin.register(ProviderConfig)
class ProviderConfigAdmin(StructureScopedAdmin):
    form = ProviderConfigForm
    list_display = ("structure", "kind", "is_active", "production", "identifier", "has_test_key", "has_production_key",
                    "topup_min", "topup_max")
    list_filter = ("structure", "kind", "is_active", "production")

    @admin.display(boolean=True, description=_("clé de test saisie"))
    def has_test_key(self, obj):
        return bool(obj.secret_test)

    @admin.display(boolean=True, description=_("clé de production saisie"))
    def has_production_key(self, obj):
        return bool(obj.secret_production)

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and (obj is None or not obj.attempts.exists())


class AttemptEventInline(admin.TabularInline):
    model = AttemptEvent
    extra = 0
    can_delete = False
    fields = ("at", "source", "from_state", "to_state", "note", "data")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(PaymentAttempt)
class PaymentAttemptAdmin(StructureScopedAdmin):
    list_display = ("created_at", "reference", "family", "wallet", "amount", "provider", "state", "flagged",
                    "authorisation_number", "bank_reference", "payment")
    list_filter = ("state", "flagged", "provider", "purpose", "structure")
    list_select_related = ("family", "wallet", "payment")
    search_fields = ("reference", "transaction_id", "bank_reference", "authorisation_number", "family__payer_name",
                     "family__number")
    date_hierarchy = "created_at"
    inlines = [AttemptEventInline]

    def get_readonly_fields(self, request, obj=None):
        return [field.name for field in self.model._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions
