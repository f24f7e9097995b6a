"""Staff admin of online payment, scoped to the staff member's structures.

*Prestataires de paiement en ligne*: a structure's provider, identifiers, test/production
mode and top-up bounds. Secret keys are write-only: the form never shows them back (an
empty field keeps the stored key). *Paiements en ligne*: every attempt with its state
history, read-only; one paid online is corrected like any ledger line, by the opposite
Payment (Facturation › Règlements, action "Créer une ligne de correction").
"""
import datetime

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.template.response import TemplateResponse
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.admin_scope import StructureScopedAdmin
from portal import dates

from . import services
from .models import AttemptAllocation, AttemptEvent, PaymentAttempt, ProviderConfig
from .providers import ProviderResponseError, ProviderUnavailable, provider_status
from .reconciliation import reconciliation_file, wallets_cell

SECRET_FIELDS = ("secret_test", "secret_production")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
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


class WithoutAnswerFilter(admin.SimpleListFilter):
    """Attempts the provider has not answered for 30 minutes (beat re-asks them, expires them at 3 h)."""

    title = _("réponse du prestataire")
    parameter_name = "sans_reponse"

    def lookups(self, request, model_admin):
        return [("30min", _("sans réponse depuis plus de 30 minutes"))]

    def queryset(self, request, queryset):
        if self.value() == "30min":
            return queryset.filter(state__in=(PaymentAttempt.State.CREATED, PaymentAttempt.State.SENT),
                                   created_at__lte=timezone.now() - datetime.timedelta(minutes=30))
        return queryset


def _file_response(content: bytes, file_format: str, name: str) -> HttpResponse:
    content_type = "text/csv; charset=utf-8" if file_format == "csv" else XLSX
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{name}.{file_format}"'
    return response


class AttemptAllocationInline(admin.TabularInline):
    """The planned split of the attempt's amount (the allocations of its Payment once paid)."""

    model = AttemptAllocation
    extra = 0
    can_delete = False
    fields = ("wallet", "amount")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


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
    list_display = ("created_at", "reference", "family", "wallets", "amount", "provider", "state", "flagged",
                    "authorisation_number", "bank_reference", "payment")
    list_filter = ("state", "flagged", WithoutAnswerFilter, "provider", "purpose", "structure")
    list_select_related = ("family", "wallet", "payment")
    search_fields = ("reference", "transaction_id", "bank_reference", "authorisation_number", "family__payer_name",
                     "family__number")
    date_hierarchy = "created_at"
    inlines = [AttemptAllocationInline, AttemptEventInline]
    actions = ["export_reconciliation_xlsx", "export_reconciliation_csv", "ask_provider"]

    def get_readonly_fields(self, request, obj=None):
        return [field.name for field in self.model._meta.fields]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("planned_allocations__wallet")

    @admin.display(description=_("porte-monnaie"))
    def wallets(self, obj):
        """Where the money goes: one wallet, or each wallet of an invoice with its part."""
        return wallets_cell(obj)

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    def get_urls(self):
        return [path("rapprochement/", self.admin_site.admin_view(self.reconciliation_view),
                     name="billing_paymentattempt_reconciliation"), *super().get_urls()]

    def reconciliation_view(self, request):
        """The day's reconciliation (?jour=2026-12-01&format=xlsx|csv), the staff's structures only."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        day, error = dates.today(), ""
        if request.GET.get("jour"):
            try:
                day = datetime.date.fromisoformat(request.GET["jour"])
            except ValueError:
                error = _("Jour non reconnu : choisissez une date.")
        file_format = request.GET.get("format", "xlsx")
        if file_format not in ("xlsx", "csv"):
            error = _("Ce format d'export n'existe pas (xlsx ou csv).")
        if error or "telecharger" not in request.GET:
            context = {**self.admin_site.each_context(request), "day": day, "error": error,
                       "title": _("Rapprochement des paiements en ligne")}
            return TemplateResponse(request, "admin/billing/paymentattempt/reconciliation.html", context,
                                    status=400 if error else 200)
        title = _("Paiements en ligne du %(day)s") % {"day": day.strftime("%d/%m/%Y")}
        content = reconciliation_file(self.get_queryset(request), day=day, file_format=file_format, title=title)
        return _file_response(content, file_format, f"rapprochement-{day:%Y-%m-%d}")

    @admin.action(description=_("Exporter le rapprochement de la sélection (xlsx)"))
    def export_reconciliation_xlsx(self, request, queryset):
        return _file_response(reconciliation_file(queryset, day=None, file_format="xlsx",
                                                  title=str(_("Paiements en ligne"))), "xlsx", "paiements-en-ligne")

    @admin.action(description=_("Exporter le rapprochement de la sélection (CSV)"))
    def export_reconciliation_csv(self, request, queryset):
        return _file_response(reconciliation_file(queryset, day=None, file_format="csv", title=""), "csv",
                              "paiements-en-ligne")

    @admin.action(description=_("Interroger le prestataire"))
    def ask_provider(self, request, queryset):
        """Ask PayFiP now about the selected attempts without an answer (what beat does every 5 minutes)."""
        settled = unanswered = 0
        for attempt in queryset.filter(state=PaymentAttempt.State.SENT).select_related("provider_config"):
            try:
                result = provider_status(attempt=attempt)
            except (ProviderResponseError, ProviderUnavailable):
                result = None
            outcome = (services.payment_attempt_record(attempt_id=attempt.pk, result=result,
                                                       source=AttemptEvent.Source.STAFF) if result else None)
            if outcome == services.Outcome.RECORDED:
                settled += 1
            else:
                unanswered += 1
        self.message_user(request, _("Paiements mis à jour : %(settled)s ; toujours sans réponse : %(unanswered)s.")
                          % {"settled": settled, "unanswered": unanswered}, messages.INFO)
