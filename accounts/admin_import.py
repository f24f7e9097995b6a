"""The import / export buttons of the families' and children's lists (django-import-export).

The import page asks which structure the file is for, among the staff member's own (the
form's choices are scoped, and the confirmation step re-validates the choice); the resource
then reads and writes only that structure's rows (accounts.imports). The preview lists what
will be created, updated, left unchanged and rejected (with the reasons); confirming imports
all but the rejected rows. Exports are the lists as filtered, in the same columns.
"""
import csv

from django import forms
from django.contrib import messages
from django.contrib.admin.options import IncorrectLookupParameters
from django.core.exceptions import BadRequest
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from import_export.admin import ImportExportMixin
from import_export.formats.base_formats import CSV, XLSX
from import_export.forms import ConfirmImportForm, ImportForm
from import_export.results import RowResult

from portal.models import Structure

from .admin_scope import allowed_structure_ids


class SpreadsheetCSV(CSV):
    """CSV as spreadsheets write it in France: ";" (or "," or tab) between cells, maybe a BOM."""

    def create_dataset(self, in_stream, **kwargs):
        if isinstance(in_stream, bytes):
            in_stream = in_stream.decode(self.encoding or "utf-8-sig")
        in_stream = in_stream.removeprefix("\ufeff")
        first_line = in_stream.split("\n", 1)[0]
        try:
            kwargs.setdefault("delimiter", csv.Sniffer().sniff(first_line, delimiters=";,\t").delimiter)
        except csv.Error:
            pass
        return super().create_dataset(in_stream, **kwargs)


def _scoped_structures(request):
    allowed = allowed_structure_ids(request)
    structures = Structure.objects.order_by("name")
    return structures if allowed is None else structures.filter(pk__in=allowed)


class StructureImportForm(ImportForm):
    structure = forms.ModelChoiceField(label=gettext_lazy("Structure"), queryset=Structure.objects.none(), empty_label=None)
    field_order = ["structure", "resource", "import_file", "format"]


class StructureConfirmImportForm(ConfirmImportForm):
    structure = forms.ModelChoiceField(queryset=Structure.objects.none(), widget=forms.HiddenInput())


class StructureImportAdminMixin(ImportExportMixin):
    """Import and export, in one of the staff member's structures."""

    import_template_name = "admin/accounts/import.html"
    import_form_class = StructureImportForm
    confirm_form_class = StructureConfirmImportForm
    formats = [XLSX, SpreadsheetCSV]
    from_encoding = "utf-8-sig"
    # The staff member reads the reason of a failure, never a traceback.
    import_error_display = ("message",)

    def create_import_form(self, request):
        form = super().create_import_form(request)
        form.fields["structure"].queryset = _scoped_structures(request)
        return form

    def create_confirm_form(self, request, import_form=None):
        form = super().create_confirm_form(request, import_form)
        form.fields["structure"].queryset = _scoped_structures(request)
        return form

    def get_confirm_form_initial(self, request, import_form):
        initial = super().get_confirm_form_initial(request, import_form)
        if import_form is not None:
            initial["structure"] = import_form.cleaned_data["structure"].pk
        return initial

    def get_import_resource_kwargs(self, request, **kwargs):
        form = kwargs.get("form")
        structure = form.cleaned_data.get("structure") if form is not None and form.is_bound and form.is_valid() else None
        return {**super().get_import_resource_kwargs(request, **kwargs), "structure": structure, "user": request.user}

    def get_export_queryset(self, request):
        """The list as filtered; a filter the list does not know is a 400, as on the list itself."""
        try:
            return super().get_export_queryset(request)
        except IncorrectLookupParameters as error:
            raise BadRequest(_("Ce filtre n'existe pas dans la liste : exportez depuis la liste filtrée.")) from error

    def import_action(self, request, **kwargs):
        response = super().import_action(request, **kwargs)
        result = getattr(response, "context_data", {}).get("result")
        if result is not None:
            response.context_data["changed_rows"] = [row for row in result.valid_rows() if row.import_type in (
                RowResult.IMPORT_TYPE_NEW, RowResult.IMPORT_TYPE_UPDATE)]
            response.context_data["unchanged_count"] = (result.totals[RowResult.IMPORT_TYPE_SKIP]
                                                        - len(getattr(result, "rejected", [])))
        return response

    def add_success_message(self, result, request):
        rejected = len(getattr(result, "rejected", []))
        totals = result.totals
        messages.success(request, _(
            "Import terminé — créées : %(new)s, mises à jour : %(updated)s, inchangées : %(unchanged)s, rejetées : %(rejected)s."
        ) % {"new": totals[RowResult.IMPORT_TYPE_NEW], "updated": totals[RowResult.IMPORT_TYPE_UPDATE],
             "unchanged": totals[RowResult.IMPORT_TYPE_SKIP] - rejected, "rejected": rejected})
