"""Staff pages of invoicing: the monthly runs (start, review, finalise), invoices, credit notes.

*Facturations mensuelles › Ajouter* ("Facturer novembre 2026") computes a draft per family;
the run's page is the review (totals per activity, families with nothing to invoice, lines
added after the drafts) and the actions recompute the drafts or finalise them. Invoices and
credit notes are read only: a finalised invoice is never edited or deleted, it is cancelled
by the action "Annuler par un avoir".
"""
from __future__ import annotations

import datetime

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from accounts.admin_scope import ReadOnlyAdmin, StructureScopedAdmin
from billing.money import format_money, format_quantity
from portal import dates

from . import selectors, services
from . import settlement as settlement_module
from .models import (
    CreditNote,
    Invoice,
    InvoiceLine,
    InvoiceReminder,
    InvoiceSettlement,
    InvoicingRun,
    InvoicingSettings,
    TaxCertificate,
    TaxCreditRule,
)


def _month_choices() -> list[tuple[str, str]]:
    current = dates.today().replace(day=1)
    months = [dates.add_months(current, offset) for offset in range(-12, 2)]
    return [(m.isoformat(), dates.month_label(m.year, m.month)) for m in reversed(months)]


class InvoicingRunForm(forms.ModelForm):
    month = forms.TypedChoiceField(label=_("Mois à facturer"), coerce=datetime.date.fromisoformat, choices=_month_choices)

    class Meta:
        model = InvoicingRun
        fields = ["structure", "month"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "month" in self.fields:
            self.fields["month"].initial = dates.add_months(dates.today(), -1).isoformat()


@admin.register(InvoicingRun)
class InvoicingRunAdmin(StructureScopedAdmin):
    form = InvoicingRunForm
    list_display = ("__str__", "status", "invoice_count", "drafted_at", "finalised_at", "started_by")
    list_filter = ("structure", "status")
    actions = ["recompute_drafts", "finalise"]
    readonly_review = ("status", "drafted_at", "finalised_at", "started_by", "review_summary", "review_totals",
                       "review_late_lines", "review_families_left_out")

    def has_delete_permission(self, request, obj=None):
        return False

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    def get_fields(self, request, obj=None):
        return ["structure", "month"] if obj is None else ["structure", "month", *self.readonly_review]

    def get_readonly_fields(self, request, obj=None):
        return () if obj is None else ("structure", "month", *self.readonly_review)

    def save_model(self, request, obj, form, change):
        if change:
            return
        obj.started_by = request.user
        super().save_model(request, obj, form, change)
        count = services.invoicing_drafts_compute(run=obj)
        messages.info(request, ngettext("%(count)d brouillon de facture calculé : vérifiez-le puis finalisez.",
                               "%(count)d brouillons de facture calculés : vérifiez-les puis finalisez.", count)
                      % {"count": count})

    @admin.display(description=_("factures"))
    def invoice_count(self, obj):
        return obj.invoices.count()

    @admin.display(description=_("résumé"))
    def review_summary(self, obj):
        summary = selectors.run_summary(run=obj)
        return format_html(ngettext("{count} facture, total {total}", "{count} factures, total {total}", summary["count"]),
                           count=summary["count"],
                           total=format_money(summary["total"]))

    @admin.display(description=_("totaux par activité"))
    def review_totals(self, obj):
        rows = selectors.run_totals_per_activity(run=obj)
        if not rows:
            return _("Aucune ligne.")
        body = format_html_join("", "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>", (
            (r["wallet_name"], r["activity_label"], r["lines"], format_quantity(r["quantity"]), format_money(r["total"]))
            for r in rows))
        return format_html("<table><thead><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr></thead>"
                           "<tbody>{}</tbody></table>", _("Porte-monnaie"), _("Activité"), _("Lignes"), _("Quantité"),
                           _("Total"), body)

    @admin.display(description=_("lignes non facturées (ajoutées après le calcul ?)"))
    def review_late_lines(self, obj):
        count, lines = selectors.run_late_lines(run=obj)
        if not count:
            return _("Aucune : toutes les consommations du mois sont dans les brouillons.")
        items = format_html_join("", "<li>{} — {} — {} {} — {} ({})</li>", (
            (line.family, line.child or "", line.day.strftime("%d/%m/%Y"), line.activity_label, format_money(line.total),
             line.created_at.strftime("%d/%m/%Y %H:%M")) for line in lines))
        hint = _("Recalculez les brouillons pour les inclure ; après finalisation, elles iront sur la facture du mois "
                 "suivant.") if obj.status == InvoicingRun.Status.DRAFT else ""
        lines_count = ngettext("%(count)d ligne.", "%(count)d lignes.", count) % {"count": count}
        return format_html("<p>{} {}</p><ul>{}</ul>", lines_count, hint, items)

    @admin.display(description=_("familles sans rien à facturer"))
    def review_families_left_out(self, obj):
        count, families = selectors.run_families_without_invoice(run=obj)
        if not count:
            return "—"
        names = format_html_join(", ", "{}", ((family,) for family in families))
        others = count - len(families)
        more = ngettext(" et %(count)d autre", " et %(count)d autres", others) % {"count": others} if others > 0 else ""
        return format_html("{} : {}{}", count, names, more)

    @admin.action(description=_("Recalculer les brouillons"))
    def recompute_drafts(self, request, queryset):
        for run in queryset:
            try:
                count = services.invoicing_drafts_compute(run=run)
            except ValidationError as error:
                self.message_user(request, f"{run} : {' '.join(error.messages)}", messages.WARNING)
            else:
                self.message_user(request, ngettext("%(run)s : %(count)d brouillon.", "%(run)s : %(count)d brouillons.", count)
                                  % {"run": run, "count": count})

    @admin.action(description=_("Finaliser les factures (numéros définitifs)"))
    def finalise(self, request, queryset):
        for run in queryset:
            try:
                count = services.invoicing_run_finalise(run=run)
            except ValidationError as error:
                self.message_user(request, f"{run} : {' '.join(error.messages)}", messages.WARNING)
            else:
                self.message_user(request, ngettext("%(run)s : %(count)d facture émise.",
                                                    "%(run)s : %(count)d factures émises.", count)
                                  % {"run": run, "count": count},
                                  messages.SUCCESS)


class InvoiceLineInline(admin.TabularInline):
    model = InvoiceLine
    extra = 0
    can_delete = False
    fields = ("child_name", "wallet_name", "activity_label", "date_from", "date_to", "quantity", "unit_price", "total")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class CancelForm(forms.Form):
    reason = forms.CharField(label=_("Motif"), max_length=200, required=False)


@admin.register(Invoice)
class InvoiceAdmin(StructureScopedAdmin):
    list_display = ("number_or_draft", "family", "month", "total", "status", "issued_on", "due_date", "credit_note_number")
    list_filter = ("structure", "status", "run")
    search_fields = ("number", "family__payer_name", "family__number", "payer_name")
    list_select_related = ("family", "credit_note")
    inlines = [InvoiceLineInline]
    actions = ["cancel_with_credit_note"]
    fields = ("structure", "family", "run", "month", "status", "number", "payer_name", "payer_address", "total",
              "issued_on", "due_date", "finalised_at")
    readonly_fields = fields

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False  # read only: a draft is recomputed from the ledger, a final invoice never changes

    def has_delete_permission(self, request, obj=None):
        return False

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    @admin.display(description=_("numéro"), ordering="number")
    def number_or_draft(self, obj):
        return obj.number or _("(brouillon)")

    @admin.display(description=_("avoir"))
    def credit_note_number(self, obj):
        note = getattr(obj, "credit_note", None)
        return note.number if note else "—"

    @admin.action(description=_("Annuler par un avoir"))
    def cancel_with_credit_note(self, request, queryset):
        for invoice in queryset.order_by("id"):
            try:
                note = services.invoice_cancel(invoice=invoice, user=request.user,
                                               reason=str(_("Annulée depuis l'administration")))
            except ValidationError as error:
                self.message_user(request, f"{invoice} : {' '.join(error.messages)}", messages.WARNING)
            else:
                self.message_user(request, _("Facture %(invoice)s annulée par l'avoir %(note)s.")
                                  % {"invoice": invoice.number, "note": note.number}, messages.SUCCESS)


@admin.register(CreditNote)
class CreditNoteAdmin(ReadOnlyAdmin):
    list_display = ("number", "invoice", "issued_on", "total", "reason", "created_by")
    list_filter = ("structure",)
    search_fields = ("number", "invoice__number", "invoice__family__payer_name")
    fields = ("structure", "number", "invoice", "issued_on", "total", "reason", "created_by")
    readonly_fields = fields


@admin.register(InvoicingSettings)
class InvoicingSettingsAdmin(StructureScopedAdmin):
    list_display = ("structure", "siret", "invoice_number_format", "credit_note_number_format", "payment_days")
    actions = ["send_tax_certificates"]

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description=_("Établir et envoyer les attestations fiscales de l'année dernière"))
    def send_tax_certificates(self, request, queryset):
        from .tax_certificates import tax_certificates_generate

        year = dates.today().year - 1
        for row in queryset.select_related("structure"):
            made = tax_certificates_generate(structure=row.structure, year=year, send=True)
            self.message_user(request, ngettext("%(structure)s : %(count)d attestation %(year)s établie et envoyée.",
                                       "%(structure)s : %(count)d attestations %(year)s établies et envoyées.", len(made))
                              % {"structure": row.structure, "count": len(made), "year": year}, messages.SUCCESS)


@admin.register(TaxCertificate)
class TaxCertificateAdmin(ReadOnlyAdmin):
    list_display = ("number", "year", "child_name", "family", "amount", "created_at")
    list_filter = ("structure", "year")
    search_fields = ("number", "child_name", "family__payer_name", "family__number")
    fields = ("structure", "number", "year", "family", "child", "child_name", "child_birth_date", "amount", "created_at")
    readonly_fields = fields


@admin.register(InvoiceReminder)
class InvoiceReminderAdmin(ReadOnlyAdmin):
    list_display = ("invoice", "level", "sent_on", "amount_due")
    list_filter = ("invoice__structure", "level")
    search_fields = ("invoice__number", "invoice__family__payer_name")
    fields = ("invoice", "level", "sent_on", "amount_due")
    readonly_fields = fields


class SettlementForm(forms.ModelForm):
    class Meta:
        model = InvoiceSettlement
        fields = ["invoice", "payment", "amount"]

    def _get_validation_exclusions(self):
        # A computed settlement of the same pair becomes the staff's choice (settlement.invoice_settle):
        # the (invoice, payment) uniqueness is not the form's to refuse.
        return {*super()._get_validation_exclusions(), "invoice", "payment"}

    def clean(self):
        data = super().clean()
        invoice, payment, amount = data.get("invoice"), data.get("payment"), data.get("amount")
        if invoice and payment and amount is not None:
            try:
                with transaction.atomic():
                    settlement_module.invoice_settle(invoice=invoice, payment=payment, amount=amount)
                    raise _DryRun
            except _DryRun:
                pass
            except ValidationError as error:
                raise forms.ValidationError(error.messages) from error
        return data


class _DryRun(Exception):
    """Rolls back the check made while validating the form."""


@admin.register(InvoiceSettlement)
class InvoiceSettlementAdmin(StructureScopedAdmin):
    """Payments settle invoices oldest first by themselves; here staff choose otherwise."""

    form = SettlementForm
    list_display = ("invoice", "payment", "amount", "chosen_by_staff", "chosen_online", "created_at")
    list_filter = ("invoice__structure", "chosen_by_staff", "chosen_online")
    search_fields = ("invoice__number", "invoice__family__payer_name", "payment__piece_number")
    autocomplete_fields = ("invoice", "payment")
    list_select_related = ("invoice", "payment")

    def get_readonly_fields(self, request, obj=None):
        return ("invoice", "payment", "amount", "chosen_by_staff", "chosen_online") if obj is not None else ()

    def has_change_permission(self, request, obj=None):
        return obj is None and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        if change:
            return
        saved = settlement_module.invoice_settle(invoice=obj.invoice, payment=obj.payment, amount=obj.amount)
        obj.pk = saved.pk

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions


@admin.register(TaxCreditRule)
class TaxCreditRuleAdmin(StructureScopedAdmin):
    list_display = ("activity_label", "share_percent", "structure")
    list_filter = ("structure",)
    search_fields = ("activity_label",)
