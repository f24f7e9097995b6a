"""Staff admin for billing, scoped to the staff member's structures.

History is never deleted: payments, consumptions and allocations have no delete
permission and are read-only once saved; a mistake is undone with the action
"Créer une ligne de correction", which adds the opposite line.
"""
from decimal import Decimal

from django import forms
from django.contrib import admin, messages
from django.db.models import Count, Sum
from django.db.models.functions import TruncMonth
from django.http import HttpResponse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from accounts.admin_scope import StructureScopedAdmin, allowed_structure_ids
from billing.models import Consumption, Payment, PaymentAllocation, Tariff, TariffRate, Wallet
from billing.money import format_money, round_money
from portal import dates

from . import services
from .exports import build_xlsx, consumption_columns, payment_columns
from .history import consumption_export_rows
from .signals import payment_recorded

SUMMARY_MONTHS = 12


def _scoped_wallets(request):
    allowed = allowed_structure_ids(request)
    wallets = Wallet.objects.select_related("structure")
    return wallets if allowed is None else wallets.filter(structure__in=allowed)


def _monthly_totals(queryset, date_field: str, amount_field: str) -> list[dict]:
    """Totals of the listed rows per month, newest first (one grouped query)."""
    rows = (
        queryset.order_by().annotate(m=TruncMonth(date_field)).values("m")
        .annotate(total=Sum(amount_field), count=Count("id")).order_by("-m")[:SUMMARY_MONTHS]
    )
    return [
        {"label": dates.month_label(row["m"].year, row["m"].month), "count": row["count"],
         "total": format_money(round_money(row["total"] or Decimal(0)))}
        for row in rows
    ]


class MonthlyTotalsMixin:
    """Shows, above the list, the totals per month of what the filters select."""

    summary_date_field = "date"
    summary_amount_field = "amount"

    def changelist_view(self, request, extra_context=None):
        response = super().changelist_view(request, extra_context=extra_context)
        context = getattr(response, "context_data", None)
        if context and "cl" in context:
            context["monthly_totals"] = _monthly_totals(context["cl"].queryset, self.summary_date_field,
                                                        self.summary_amount_field)
        return response


class LedgerAdminMixin:
    """No deletion, and saved lines are read-only: corrections are new lines."""

    def has_delete_permission(self, request, obj=None):
        return False

    def get_readonly_fields(self, request, obj=None):
        if obj is not None:
            return [field.name for field in self.model._meta.fields if field.name != "id"]
        return super().get_readonly_fields(request, obj)

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions


@admin.register(Wallet)
class WalletAdmin(StructureScopedAdmin):
    list_display = ("name", "structure", "mode", "position")
    list_filter = ("structure", "mode")
    search_fields = ("name",)
    list_editable = ("position",)

    def has_delete_permission(self, request, obj=None):
        # A wallet with lines is protected by the database; one without may go.
        return super().has_delete_permission(request,
                                             obj) and (obj is None or not (obj.consumptions.exists() or obj.allocations.exists()))


class TariffRateInline(admin.TabularInline):
    model = TariffRate
    extra = 1
    fields = ("valid_from", "valid_until", "quotient_min", "quotient_max", "amount")


@admin.register(Tariff)
class TariffAdmin(StructureScopedAdmin):
    list_display = ("name", "structure", "kind", "unit_minutes")
    list_filter = ("structure", "kind")
    search_fields = ("name",)
    inlines = [TariffRateInline]


class AllocationFormSet(forms.BaseInlineFormSet):
    def clean(self):
        super().clean()
        if any(self.errors) or (self.instance.pk and not self.has_changed()):
            return
        allocations = [(form.cleaned_data["wallet"], form.cleaned_data["amount"]) for form in self.forms
                       if form.cleaned_data and not form.cleaned_data.get("DELETE") and form.cleaned_data.get("wallet")]
        amount = self.instance.amount
        family = getattr(self.instance, "family", None) if self.instance.family_id else None
        if amount is None or family is None:
            return
        try:
            services.check_allocations(amount=amount, allocations=allocations, structure_id=family.structure_id)
        except forms.ValidationError as error:
            raise forms.ValidationError(error.messages) from error


class PaymentAllocationInline(admin.TabularInline):
    model = PaymentAllocation
    formset = AllocationFormSet
    extra = 1
    can_delete = False
    fields = ("wallet", "amount")

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "wallet":
            kwargs["queryset"] = _scoped_wallets(request)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def has_change_permission(self, request, obj=None):
        return obj is None and super().has_change_permission(request, obj)

    def has_add_permission(self, request, obj=None):
        return obj is None and super().has_add_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Payment)
class PaymentAdmin(MonthlyTotalsMixin, LedgerAdminMixin, StructureScopedAdmin):
    structure_path = "family__structure"
    list_display = ("date", "family", "mode", "piece_number", "payer_name", "bank_name", "amount", "correction_of")
    list_filter = ("family__structure", "mode", "allocations__wallet")
    search_fields = ("family__payer_name", "family__number", "piece_number", "payer_name", "bank_name")
    date_hierarchy = "date"
    autocomplete_fields = ("family",)
    list_select_related = ("family", "correction_of")
    inlines = [PaymentAllocationInline]
    fields = ("family", "date", "mode", "amount", "piece_number", "payer_name", "bank_name", "note", "correction_of")
    actions = ["export_xlsx", "create_correction"]
    summary_date_field, summary_amount_field = "date", "amount"

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        # Filtering on a wallet joins the allocations: a payment split between two would be listed twice.
        return queryset.distinct() if "allocations__wallet__id__exact" in request.GET else queryset

    def get_readonly_fields(self, request, obj=None):
        return super().get_readonly_fields(request, obj) if obj is not None else ()

    def get_fields(self, request, obj=None):
        fields = super().get_fields(request, obj)
        return fields if obj is not None else [f for f in fields if f != "correction_of"]

    def save_model(self, request, obj, form, change):
        if not change and not obj.payer_name:
            obj.payer_name = obj.family.payer_name
        super().save_model(request, obj, form, change)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        if not change:
            payment_recorded.send(sender=Payment, payment=form.instance)

    @admin.action(description=_("Exporter la sélection (xlsx)"))
    def export_xlsx(self, request, queryset):
        lines = queryset.select_related("family").order_by("date", "id")
        total = lines.aggregate(s=Sum("amount"))["s"] or Decimal(0)
        return _xlsx_response(build_xlsx(title=str(_("Règlements")), subtitle=_export_subtitle(request),
                                         columns=payment_columns(with_family=True), objects=lines.iterator(), total=total),
                                         "reglements")

    @admin.action(description=_("Créer une ligne de correction"))
    def create_correction(self, request, queryset):
        _correct_each(self, request, queryset, lambda payment: services.payment_correct(payment=payment, on_date=dates.today()))


class ConsumptionAdminForm(forms.ModelForm):
    """A new line's wallet and child must belong to the family's structure and family."""

    def clean(self):
        data = super().clean()
        family, wallet, child = data.get("family"), data.get("wallet"), data.get("child")
        if family and wallet and wallet.structure_id != family.structure_id:
            self.add_error("wallet", _("Ce porte-monnaie n'appartient pas à la structure de la famille."))
        if family and child and child.family_id != family.pk:
            self.add_error("child", _("Cet enfant n'appartient pas à cette famille."))
        return data


@admin.register(Consumption)
class ConsumptionAdmin(MonthlyTotalsMixin, LedgerAdminMixin, StructureScopedAdmin):
    structure_path = "family__structure"
    form = ConsumptionAdminForm
    list_display = ("day", "family", "child", "wallet", "activity_label", "unit_price", "quantity", "total", "correction_of")
    list_filter = ("family__structure", "wallet")
    search_fields = ("family__payer_name", "family__number", "child__first_name", "child__last_name", "activity_label")
    date_hierarchy = "day"
    autocomplete_fields = ("family", "child")
    list_select_related = ("family", "child", "wallet", "correction_of")
    fields = ("family", "child", "wallet", "day", "activity_label", "unit_price", "quantity", "total", "note", "source_key",
              "correction_of")
    actions = ["export_xlsx", "create_correction"]
    summary_date_field, summary_amount_field = "day", "total"

    def get_readonly_fields(self, request, obj=None):
        return super().get_readonly_fields(request, obj) if obj is not None else ()

    def get_fields(self, request, obj=None):
        """On a new line the total is computed (price × quantity, half-up to the cent)."""
        fields = super().get_fields(request, obj)
        return fields if obj is not None else [f for f in fields if f not in ("total", "source_key", "correction_of")]

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "wallet":
            kwargs["queryset"] = _scoped_wallets(request)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def save_model(self, request, obj, form, change):
        if not change:
            obj.total = round_money(obj.unit_price * obj.quantity)
        super().save_model(request, obj, form, change)

    @admin.action(description=_("Exporter la sélection (xlsx)"))
    def export_xlsx(self, request, queryset):
        lines = queryset.order_by("day", "id")
        total = lines.aggregate(s=Sum("total"))["s"] or Decimal(0)
        return _xlsx_response(build_xlsx(title=str(_("Consommations")), subtitle=_export_subtitle(request),
                                         columns=consumption_columns(with_family=True), objects=consumption_export_rows(lines),
                                         total=total),
                              "consommations")

    @admin.action(description=_("Créer une ligne de correction"))
    def create_correction(self, request, queryset):
        _correct_each(self, request, queryset, lambda line: services.consumption_correct(consumption=line))


def _correct_each(model_admin, request, queryset, correct):
    done, refused = 0, []
    for obj in queryset:
        try:
            correct(obj)
            done += 1
        except services.AlreadyCorrectedError as error:
            refused.append(f"{obj} : {' '.join(error.messages)}")
    if done:
        text = ngettext("%(count)d ligne de correction créée.", "%(count)d lignes de correction créées.", done)
        model_admin.message_user(request, text % {"count": done}, messages.SUCCESS)
    for text in refused:
        model_admin.message_user(request, text, messages.WARNING)


def _export_subtitle(request) -> str:
    return _("Exporté le %(date)s par %(user)s") % {"date": timezone.localtime().strftime("%d/%m/%Y %H:%M"),
                                                    "user": request.user.get_username()}


def _xlsx_response(content: bytes, name: str) -> HttpResponse:
    response = HttpResponse(content, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    response["Content-Disposition"] = f'attachment; filename="{name}-{dates.today():%Y-%m-%d}.xlsx"'
    return response
