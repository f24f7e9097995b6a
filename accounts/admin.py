from django.contrib import admin
from django.db.models import Q
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext_lazy as _

from .admin_scope import StructureScopedAdmin, allowed_structure_ids
from .models import Child, Family, StaffMembership, User


class ChildInline(admin.TabularInline):
    model = Child
    extra = 0
    fields = ("first_name", "last_name", "birth_date")


@admin.register(Family)
class FamilyAdmin(StructureScopedAdmin):
    list_display = ("number", "payer_name", "structure", "quotient", "email")
    list_filter = ("structure",)
    search_fields = ("number", "payer_name", "email", "children__first_name", "children__last_name")
    autocomplete_fields = ("users",)
    inlines = [ChildInline]
    list_select_related = ("structure",)


@admin.register(Child)
class ChildAdmin(StructureScopedAdmin):
    structure_path = "family__structure"
    list_display = ("first_name", "last_name", "birth_date", "family")
    list_filter = ("family__structure",)
    search_fields = ("first_name", "last_name", "family__payer_name", "family__number")
    autocomplete_fields = ("family",)
    list_select_related = ("family",)


@admin.register(StaffMembership)
class StaffMembershipAdmin(StructureScopedAdmin):
    list_display = ("user", "structure")
    list_filter = ("structure",)
    search_fields = ("user__username", "user__last_name")
    autocomplete_fields = ("user",)


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    fieldsets = BaseUserAdmin.fieldsets + ((_("Récupération"), {"fields": ("security_question",)}),)
    list_display = ("username", "first_name", "last_name", "email", "is_staff", "is_active")
    search_fields = ("username", "first_name", "last_name", "email", "families__payer_name", "families__number")

    def get_queryset(self, request):
        """Staff see logins of their structures' families and staff, not the whole site."""
        queryset = super().get_queryset(request)
        allowed = allowed_structure_ids(request)
        if allowed is None:
            return queryset
        in_scope = Q(families__structure__in=allowed) | Q(staff_memberships__structure__in=allowed)
        return queryset.filter(in_scope).distinct()
