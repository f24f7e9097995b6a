"""Staff see, pick and change in the admin only the data of their structures.

Every ModelAdmin inherits StructureScopedAdmin. A model's scope follows from how it reaches
its Structure: a `structure` field, or a `structure_path` class attribute on the model
(e.g. "family__structure"); logins have their own rule (selectors.logins_in_scope).
Superusers see everything.

The base applies the scope wherever a staff request can name a row, once for all admins:
- lists, change/delete/history pages and the rows an action receives (get_queryset);
- every relation field of every form it builds — the main form, each inline's forms, the
  list's editable rows — whoever declared it (FK, M2M, a custom form's own field): another
  structure's id fails validation with Django's "Sélectionnez un choix valide";
- autocomplete answers (get_search_results) and sidebar filters on relations.
A relation to a model with no known way to a structure offers staff nothing (fail closed).
"""
from typing import Any

from django import forms
from django.contrib import admin
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.widgets import AutocompleteSelect, AutocompleteSelectMultiple, RelatedFieldWidgetWrapper
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils.translation import gettext as _

from portal.models import Structure

from .models import User
from .selectors import logins_in_scope, structure_ids_of_staff


def allowed_structure_ids(request) -> list[int] | None:
    """None means no restriction (superuser); cached on the request."""
    if request.user.is_superuser:
        return None
    if not hasattr(request, "_staff_structure_ids"):
        request._staff_structure_ids = structure_ids_of_staff(request.user)
    return request._staff_structure_ids


def structure_path_of(model) -> str | None:
    """The lookup from a model to its Structure, or None when it has no way there."""
    if model is Structure:
        return "pk"
    if any(f.name == "structure" and f.many_to_one for f in model._meta.get_fields()):
        return "structure"
    return getattr(model, "structure_path", None)


def has_scope_rule(model) -> bool:
    return model is User or structure_path_of(model) is not None


def scope_queryset(queryset, allowed):
    """The rows of `queryset` that staff of the `allowed` structures may see (None: all)."""
    if allowed is None:
        return queryset
    if queryset.model is User:
        return queryset.filter(pk__in=logins_in_scope(allowed).values("pk"))
    path = structure_path_of(queryset.model)
    if path is None:
        return queryset.none()
    return queryset.filter(**{f"{path}__in": allowed})


class _ValidKeysOnly:
    """Django's autocomplete widgets look up the submitted value to show it again; a value
    that is not even a key ("abc" for an id) made that lookup raise ValueError, a 500. The
    field itself already answers "Sélectionnez un choix valide": drop such values here."""

    def optgroups(self, name, value, attr=None):
        target = self.field.target_field
        return super().optgroups(name, [v for v in value if _is_key(target, v)], attr)


def _is_key(target_field, value) -> bool:
    try:
        target_field.to_python(value)
    except ValidationError:
        return False
    return True


class SafeAutocompleteSelect(_ValidKeysOnly, AutocompleteSelect):
    pass


class SafeAutocompleteSelectMultiple(_ValidKeysOnly, AutocompleteSelectMultiple):
    pass


_SAFE_AUTOCOMPLETE = {AutocompleteSelect: SafeAutocompleteSelect, AutocompleteSelectMultiple: SafeAutocompleteSelectMultiple}


def _guard_autocomplete(field) -> None:
    holder = field.widget if isinstance(field.widget, RelatedFieldWidgetWrapper) else field
    widget: Any = holder.widget
    safe_class = _SAFE_AUTOCOMPLETE.get(type(widget))
    if safe_class is None:
        return
    safe = safe_class(widget.field, widget.admin_site, attrs=widget.attrs, using=widget.db)
    safe.choices, safe.is_required = widget.choices, widget.is_required
    holder.widget = safe


def narrow_relation_fields(form, allowed) -> None:
    """Every relation field of a built form offers, and accepts, only rows in scope."""
    for field in form.fields.values():
        if isinstance(field, forms.ModelChoiceField):  # ModelMultipleChoiceField included
            field.queryset = scope_queryset(field.queryset, allowed)
            _guard_autocomplete(field)


def scoped_form_class(form_class, request):
    """A subclass of an admin form class whose instances are narrowed to the request's scope."""
    allowed = allowed_structure_ids(request)

    def __init__(self, *args, **kwargs):
        form_class.__init__(self, *args, **kwargs)
        narrow_relation_fields(self, allowed)

    return type(form_class.__name__, (form_class,), {"__init__": __init__, "__module__": form_class.__module__})


class StructureScopedAdmin(admin.ModelAdmin):
    # Lookup to the Structure when it differs from the model's own (normally left unset).
    structure_path: str | None = None

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        allowed = allowed_structure_ids(request)
        if self.structure_path is not None and allowed is not None:
            return queryset.filter(**{f"{self.structure_path}__in": allowed})
        return scope_queryset(queryset, allowed)

    def get_form(self, request, obj=None, change=False, **kwargs):
        return scoped_form_class(super().get_form(request, obj, change=change, **kwargs), request)

    def get_formsets_with_inlines(self, request, obj=None):
        for formset, inline in super().get_formsets_with_inlines(request, obj):
            formset.form = scoped_form_class(formset.form, request)
            yield formset, inline

    def get_changelist_formset(self, request, **kwargs):
        formset = super().get_changelist_formset(request, **kwargs)
        formset.form = scoped_form_class(formset.form, request)
        return formset

    def get_search_results(self, request, queryset, search_term):
        """Also what the autocomplete endpoint answers: re-scoped whatever queryset came in."""
        queryset, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        return scope_queryset(queryset, allowed_structure_ids(request)), may_have_duplicates

    def save_model(self, request, obj, form, change):
        allowed = allowed_structure_ids(request)
        path = self.structure_path or structure_path_of(type(obj))
        if allowed is not None and path is not None:
            structure_id = obj.pk if path == "pk" else _structure_id_of(obj, path)
            if structure_id is not None and structure_id not in allowed:
                raise PermissionDenied
        super().save_model(request, obj, form, change)


class ScopedRelatedFieldListFilter(admin.RelatedFieldListFilter):
    """Sidebar filters on a relation offer only the staff member's rows (a plain related
    filter would list every structure's names, wallets, activities…), and a hand-typed
    lookup naming another structure's row is refused rather than answered."""

    def field_choices(self, field, request, model_admin):
        allowed = allowed_structure_ids(request)
        if allowed is None:
            return super().field_choices(field, request, model_admin)
        queryset = scope_queryset(field.related_model._default_manager.all(), allowed)
        ordering = self.field_admin_ordering(field, request, model_admin)
        if ordering:
            queryset = queryset.order_by(*ordering)
        return [(obj.pk, str(obj)) for obj in queryset]

    def queryset(self, request, queryset):
        if allowed_structure_ids(request) is not None and self.lookup_val:
            offered = {str(pk) for pk, _label in self.lookup_choices}
            if not {str(value) for value in self.lookup_val} <= offered:
                raise IncorrectLookupParameters(_("Ce filtre ne correspond à aucune de vos structures."))
        return super().queryset(request, queryset)


def _structure_id_of(obj, path: str):
    current = obj
    parts = path.split("__")
    for part in parts[:-1]:
        current = getattr(current, part, None)
        if current is None:
            return None
    return getattr(current, f"{parts[-1]}_id", None)


# Every admin's related filters (list_filter = ("structure", "wallet", …)) go through the scoped one.
admin.FieldListFilter.register(
    lambda field: bool(field.remote_field) and has_scope_rule(field.related_model),
    ScopedRelatedFieldListFilter,
    take_priority=True,
)


class ReadOnlyAdmin(StructureScopedAdmin):
    """A record kept as history (runs, events, invoices, credit notes, certificates, debits):
    listed and read, never added, changed or deleted by hand. Shared by every app's admin."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
