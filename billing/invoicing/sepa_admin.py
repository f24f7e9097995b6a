"""Staff pages of direct debit: mandates (validate a parent's request), debit files (generate,
download the pain.008), debits (record a return)."""
from __future__ import annotations

import datetime

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from accounts.admin_scope import ReadOnlyAdmin, StructureScopedAdmin
from portal import dates

from . import sepa
from .sepa_models import DirectDebitBatch, DirectDebitTransaction, Mandate


class MandateForm(forms.ModelForm):
    class Meta:
        model = Mandate
        fields = ["family", "reference", "holder_name", "iban", "bic", "signed_on"]

    def clean_iban(self):
        return sepa.check_iban(self.cleaned_data["iban"])

    def clean_bic(self):
        value = self.cleaned_data.get("bic", "")
        return sepa.check_bic(value) if value else sepa.bic_of_iban(self.cleaned_data.get("iban", ""))


@admin.register(Mandate)
class MandateAdmin(StructureScopedAdmin):
    form = MandateForm
    list_display = ("reference", "family", "holder_name", "masked_iban", "signed_on", "status", "validated_at")
    list_filter = ("structure", "status")
    search_fields = ("reference", "holder_name", "family__payer_name", "family__number")
    autocomplete_fields = ("family",)
    actions = ["validate"]

    def get_readonly_fields(self, request, obj=None):
        if obj is not None:
            return ("family", "reference", "holder_name", "iban", "bic", "signed_on", "status", "validated_at", "validated_by")
        return ()

    def has_delete_permission(self, request, obj=None):
        return False

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    def save_model(self, request, obj, form, change):
        if change:
            return
        obj.structure = obj.family.structure
        super().save_model(request, obj, form, change)

    @admin.action(description=_("Valider le mandat (signé et vérifié)"))
    def validate(self, request, queryset):
        for mandate in queryset:
            try:
                sepa.mandate_validate(mandate=mandate, user=request.user)
            except ValidationError as error:
                self.message_user(request, f"{mandate} : {' '.join(error.messages)}", messages.WARNING)
            else:
                self.message_user(request, _("Mandat %(ref)s validé.") % {"ref": mandate.reference}, messages.SUCCESS)


class BatchForm(forms.ModelForm):
    class Meta:
        model = DirectDebitBatch
        fields = ["structure", "due_until"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "due_until" in self.fields:
            self.fields["due_until"].initial = dates.today() + datetime.timedelta(days=7)
            self.fields["due_until"].widget = forms.DateInput(attrs={"type": "date"})


class DebitInline(admin.TabularInline):
    model = DirectDebitTransaction
    extra = 0
    can_delete = False
    fields = ("invoice", "mandate", "amount", "sequence", "end_to_end_id", "status", "returned_on")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(DirectDebitBatch)
class DirectDebitBatchAdmin(StructureScopedAdmin):
    """Ajouter = generate the file of the open invoices due by a date (families with an active mandate)."""

    form = BatchForm
    list_display = ("__str__", "collection_date", "transaction_count", "control_sum", "created_at", "created_by")
    list_filter = ("structure",)
    inlines = [DebitInline]
    actions = ["download"]

    def get_inlines(self, request, obj):
        return self.inlines if obj is not None else []

    def get_fields(self, request, obj=None):
        return ["structure", "due_until"] if obj is None else [
            "structure", "due_until", "collection_date", "message_id", "transaction_count", "control_sum", "created_by"]

    def get_readonly_fields(self, request, obj=None):
        return () if obj is None else self.get_fields(request, obj)

    def has_delete_permission(self, request, obj=None):
        return False

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    def save_model(self, request, obj, form, change):
        if change:
            return
        batch = sepa.debit_batch_create(structure=obj.structure, due_until=obj.due_until, user=request.user)
        obj.pk = batch.pk
        count = batch.transaction_count
        messages.info(request, ngettext("Fichier du %(date)s : %(count)d prélèvement, %(total)s €.",
                                        "Fichier du %(date)s : %(count)d prélèvements, %(total)s €.", count) % {
            "date": batch.collection_date.strftime("%d/%m/%Y"), "count": batch.transaction_count, "total": batch.control_sum})

    def add_view(self, request, form_url="", extra_context=None):
        try:
            return super().add_view(request, form_url, extra_context)
        except sepa.DebitError as error:
            self.message_user(request, " ".join(error.messages), messages.ERROR)
            from django.shortcuts import redirect

            return redirect(request.path)

    @admin.action(description=_("Télécharger le fichier pain.008"))
    def download(self, request, queryset):
        batch = queryset.order_by("-id").first()
        if batch is None:
            return None
        response = HttpResponse(batch.xml, content_type="application/xml")
        response["Content-Disposition"] = f'attachment; filename="prelevement-{batch.message_id}.xml"'
        return response


@admin.register(DirectDebitTransaction)
class DirectDebitTransactionAdmin(ReadOnlyAdmin):
    list_display = ("invoice", "mandate", "amount", "sequence", "status", "returned_on", "return_reason")
    list_filter = ("batch__structure", "status", "sequence")
    search_fields = ("invoice__number", "mandate__reference", "invoice__family__payer_name")
    actions = ["record_return"]

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    @admin.action(description=_("Enregistrer un rejet de la banque (la facture redevient à payer)"))
    def record_return(self, request, queryset):
        for debit in queryset:
            try:
                sepa.debit_return(debit=debit, reason=str(_("rejet bancaire")))
            except ValidationError as error:
                self.message_user(request, f"{debit} : {' '.join(error.messages)}", messages.WARNING)
            else:
                self.message_user(request, _("Rejet enregistré : la facture %(number)s est de nouveau à payer.")
                                  % {"number": debit.invoice.number}, messages.SUCCESS)
