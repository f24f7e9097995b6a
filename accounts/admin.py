"""Staff admin of logins, families, children and staff memberships, scoped to the staff's structures."""
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.db.models import Count, Prefetch, Q
from django.utils.translation import gettext_lazy as _

from . import services
from .admin_scope import StructureScopedAdmin, allowed_structure_ids
from .models import Child, Family, StaffMembership, User


class ChildInline(admin.TabularInline):
    model = Child
    extra = 0
    fields = ("first_name", "last_name", "birth_date")
    verbose_name = _("enfant")
    verbose_name_plural = _("enfants (consommateurs)")


@admin.register(Family)
class FamilyAdmin(StructureScopedAdmin):
    list_display = ("number", "payer_name", "structure", "quotient", "email", "phone", "children_count", "logins")
    list_display_links = ("number", "payer_name")
    list_filter = ("structure",)
    search_fields = ("number", "payer_name", "email", "phone", "users__username",
                     "children__first_name", "children__last_name")
    autocomplete_fields = ("users",)
    inlines = [ChildInline]
    list_select_related = ("structure",)
    fieldsets = (
        (None, {"fields": ("structure", "number", "civility", "payer_name", "quotient")}),
        (_("Coordonnées"), {"fields": ("email", "phone", "address")}),
        (_("Accès au portail"), {"fields": ("users",),
                                 "description": _("Identifiants qui peuvent consulter et réserver pour cette famille.")}),
    )

    def get_queryset(self, request):
        # GROUP BY drops Meta.ordering: order explicitly (the autocomplete paginates this queryset).
        queryset = super().get_queryset(request).annotate(_children=Count("children", distinct=True))
        return queryset.prefetch_related("users").order_by("payer_name", "id")

    @admin.display(description=_("enfants"), ordering="_children")
    def children_count(self, obj):
        return obj._children

    @admin.display(description=_("identifiants"))
    def logins(self, obj):
        return ", ".join(user.username for user in obj.users.all())


@admin.register(Child)
class ChildAdmin(StructureScopedAdmin):
    structure_path = "family__structure"
    list_display = ("last_name", "first_name", "birth_date", "family", "structure")
    list_display_links = ("last_name", "first_name")
    list_filter = ("family__structure", ("birth_date", admin.DateFieldListFilter))
    search_fields = ("first_name", "last_name", "family__payer_name", "family__number")
    autocomplete_fields = ("family",)
    list_select_related = ("family__structure",)
    date_hierarchy = "birth_date"

    @admin.display(description=_("structure"), ordering="family__structure__name")
    def structure(self, obj):
        return obj.family.structure


@admin.register(StaffMembership)
class StaffMembershipAdmin(StructureScopedAdmin):
    list_display = ("user", "user_full_name", "structure")
    list_filter = ("structure",)
    search_fields = ("user__username", "user__first_name", "user__last_name", "structure__name")
    autocomplete_fields = ("user",)
    list_select_related = ("user", "structure")

    @admin.display(description=_("nom"), ordering="user__last_name")
    def user_full_name(self, obj):
        return obj.user.get_full_name()

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        # A member of a structure's staff can log into the admin with the staff permissions.
        services.staff_user_enrol(user=obj.user)


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    fieldsets = (
        *(BaseUserAdmin.fieldsets or ()),
        (_("Récupération du mot de passe"), {
            "fields": ("security_question",),
            "description": _("La réponse n'est jamais visible : seul le parent peut la changer depuis son profil."),
        }),
    )
    list_display = ("username", "last_name", "first_name", "email", "family_list", "has_question", "is_staff", "is_active",
                    "last_login")
    list_filter = ("is_staff", "is_active", "families__structure")
    search_fields = ("username", "first_name", "last_name", "email", "families__payer_name", "families__number")
    # Staff may not grant themselves or anybody else more rights than the staff group gives.
    superuser_only_fields = ("is_superuser", "groups", "user_permissions")

    def get_queryset(self, request):
        """Staff see logins of their structures' families and staff, and logins not attached
        to anything yet (just created, to be attached to a family); never superusers."""
        queryset = super().get_queryset(request)
        allowed = allowed_structure_ids(request)
        if allowed is None:
            return queryset.prefetch_related("families")
        queryset = queryset.prefetch_related(Prefetch("families", queryset=Family.objects.filter(structure__in=allowed)))
        in_scope = (Q(families__structure__in=allowed) | Q(staff_memberships__structure__in=allowed)
                    | Q(families__isnull=True, staff_memberships__isnull=True))
        return queryset.filter(in_scope).exclude(is_superuser=True).distinct()

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if request.user.is_superuser:
            return fieldsets
        return tuple(
            (name, {**options, "fields": tuple(f for f in options["fields"] if f not in self.superuser_only_fields)})
            for name, options in fieldsets
        )

    def get_list_filter(self, request):
        filters = super().get_list_filter(request)
        return filters if request.user.is_superuser else tuple(f for f in filters if f != "is_superuser")

    @admin.display(description=_("familles"))
    def family_list(self, obj):
        return ", ".join(family.number for family in obj.families.all())

    @admin.display(description=_("question secrète"), boolean=True)
    def has_question(self, obj):
        return obj.has_security_question
