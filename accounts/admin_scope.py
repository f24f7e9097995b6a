"""Staff see and change in the admin only the data of their structures.

Every admin class of a structure-owned model inherits StructureScopedAdmin and names
the lookup from its model to the Structure (e.g. "family__structure"). Superusers see all.
"""
from django.contrib import admin
from django.core.exceptions import PermissionDenied

from portal.models import Structure

from .selectors import structure_ids_of_staff


def allowed_structure_ids(request) -> list[int] | None:
    """None means no restriction (superuser); cached on the request."""
    if request.user.is_superuser:
        return None
    if not hasattr(request, "_staff_structure_ids"):
        request._staff_structure_ids = structure_ids_of_staff(request.user)
    return request._staff_structure_ids


class StructureScopedAdmin(admin.ModelAdmin):
    structure_path = "structure"

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        allowed = allowed_structure_ids(request)
        if allowed is None:
            return queryset
        return queryset.filter(**{f"{self.structure_path}__in": allowed})

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        """Drop-downs offer only rows of the staff member's structures."""
        allowed = allowed_structure_ids(request)
        if allowed is not None:
            related = db_field.related_model
            if related is Structure:
                kwargs["queryset"] = Structure.objects.filter(pk__in=allowed)
            else:
                path = _structure_path_of(related)
                if path:
                    kwargs["queryset"] = related._default_manager.filter(**{f"{path}__in": allowed})
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def save_model(self, request, obj, form, change):
        allowed = allowed_structure_ids(request)
        if allowed is not None:
            structure_id = _structure_id_of(obj, self.structure_path)
            if structure_id is not None and structure_id not in allowed:
                raise PermissionDenied
        super().save_model(request, obj, form, change)


class ScopedRelatedFieldListFilter(admin.RelatedFieldListFilter):
    """Sidebar filters on a structure-owned relation offer only the staff member's rows
    (a plain related filter would list every structure's names, wallets, activities…)."""

    def field_choices(self, field, request, model_admin):
        allowed = allowed_structure_ids(request)
        path = _structure_path_of(field.related_model)
        if allowed is None or path is None:
            return super().field_choices(field, request, model_admin)
        queryset = field.related_model._default_manager.filter(**{f"{path}__in": allowed})
        ordering = self.field_admin_ordering(field, request, model_admin)
        if ordering:
            queryset = queryset.order_by(*ordering)
        return [(obj.pk, str(obj)) for obj in queryset]


def _structure_path_of(model) -> str | None:
    """Models declare how they reach their structure with a `structure_path` class attribute."""
    if model is Structure:
        return "pk"
    if any(f.name == "structure" for f in model._meta.get_fields()):
        return "structure"
    return getattr(model, "structure_path", None)


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
    lambda field: bool(field.remote_field) and not field.many_to_many and _structure_path_of(field.related_model) is not None,
    ScopedRelatedFieldListFilter,
    take_priority=True,
)
