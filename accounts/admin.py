"""Staff admin of structures, their messages, families, children and staff memberships.

Every class is scoped to the staff member's structures (admin_scope.StructureScopedAdmin);
logins are in admin_logins. Structure and Message belong to portal, but are registered
here: portal sits below accounts and cannot import the scoping.
"""
from django import forms
from django.contrib import admin
from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from portal.identity import LogoRefused, logo_png
from portal.models import LegalPage, Message, Structure

from . import invitations, services
from .admin_glance import FamilyGlanceMixin
from .admin_import import StructureImportAdminMixin
from .admin_scope import StructureScopedAdmin
from .forms import StaffLoginForm
from .imports import ChildResource, FamilyResource
from .models import Child, Family, StaffMembership

# The admin login asks for the second-factor code of logins that use one (accounts.second_factor).
admin.site.login_form = StaffLoginForm


class MessageInline(admin.StackedInline):
    model = Message
    extra = 0
    fields = ("title", "body", "publish_from", "publish_until")


class LegalPageInline(admin.StackedInline):
    """The structure's own mentions légales, données personnelles and déclaration d'accessibilité;
    a page not written here shows the portal's default text (portal/legal/)."""

    model = LegalPage
    extra = 0
    max_num = len(LegalPage.Kind.choices)
    fields = ("kind", "body", "compliance")


class StructureForm(forms.ModelForm):
    """The identity of the structure: a logo file (re-encoded to PNG by portal.identity) beside
    the model's fields; the colour is checked against the contrast rules by Structure.clean()."""

    logo_file = forms.FileField(label=_("Logo"), required=False,
                                help_text=_("PNG, JPEG, WebP ou GIF, 300 Ko au plus ; affiché sur la page de connexion "
                                            "et dans l'en-tête, et utilisé pour l'icône du portail sur les téléphones."))
    remove_logo = forms.BooleanField(label=_("Retirer le logo"), required=False)
    website = forms.URLField(label=_("site internet"), required=False, assume_scheme="https")

    class Meta:
        model = Structure
        fields = ("name", "slug", "contact_email", "contact_phone", "address", "opening_hours", "website",
                  "primary_colour", "history_months", "staff_second_factor_required")

    def clean_logo_file(self):
        upload = self.cleaned_data.get("logo_file")
        if not upload:
            return None
        try:
            return logo_png(upload.read())
        except LogoRefused as refused:
            raise forms.ValidationError(str(refused)) from None

    def save(self, commit=True):
        structure = super().save(commit=False)
        if self.cleaned_data.get("remove_logo"):
            structure.logo, structure.logo_updated_at = None, timezone.now()
        elif self.cleaned_data.get("logo_file"):
            structure.logo, structure.logo_updated_at = self.cleaned_data["logo_file"], timezone.now()
        if commit:
            structure.save()
        return structure


@admin.register(Structure)
class StructureAdmin(StructureScopedAdmin):
    form = StructureForm
    list_display = ("name", "slug", "contact_email", "contact_phone", "history_months", "staff_second_factor_required")
    search_fields = ("name", "slug")
    prepopulated_fields = {"slug": ("name",)}
    inlines = [MessageInline, LegalPageInline]

    def has_add_permission(self, request):
        return request.user.is_superuser

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser

    def get_readonly_fields(self, request, obj=None):
        # Staff cannot switch off the protection of their own accounts.
        readonly = tuple(super().get_readonly_fields(request, obj))
        return readonly if request.user.is_superuser else (*readonly, "staff_second_factor_required")


@admin.register(Message)
class MessageAdmin(StructureScopedAdmin):
    list_display = ("title", "structure", "publish_from", "publish_until")
    list_filter = ("structure",)
    list_select_related = ("structure",)
    search_fields = ("title", "body")
    date_hierarchy = "publish_from"


class ChildInline(admin.TabularInline):
    model = Child
    extra = 0
    fields = ("first_name", "last_name", "birth_date", "group")
    verbose_name = _("enfant")
    verbose_name_plural = _("enfants (consommateurs)")


@admin.register(Family)
class FamilyAdmin(FamilyGlanceMixin, StructureImportAdminMixin, StructureScopedAdmin):
    resource_classes = [FamilyResource]
    change_form_template = "admin/accounts/family/change_form.html"  # with the "Vue d'ensemble" button
    list_display = ("number", "payer_name", "structure", "quotient", "email", "phone", "children_count", "logins",
                    "glance_link")
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

    def save_related(self, request, form, formsets, change):
        """A login newly attached to the family, with no password yet, is invited at once."""
        before = set(form.instance.users.values_list("pk", flat=True)) if change else set()
        super().save_related(request, form, formsets, change)
        for user in form.instance.users.exclude(pk__in=before):
            if invitations.invitation_send(user=user, family=form.instance, by=request.user) is not None:
                self.message_user(request, _("Invitation préparée pour l'identifiant %(login)s.") % {"login": user.username})

    @admin.display(description=_("enfants"), ordering="_children")
    def children_count(self, obj):
        return obj._children

    @admin.display(description=_("identifiants"))
    def logins(self, obj):
        return ", ".join(user.username for user in obj.users.all())


@admin.register(Child)
class ChildAdmin(StructureImportAdminMixin, StructureScopedAdmin):
    resource_classes = [ChildResource]
    list_display = ("last_name", "first_name", "birth_date", "group", "family", "structure")
    list_display_links = ("last_name", "first_name")
    list_filter = ("family__structure", "group", ("birth_date", admin.DateFieldListFilter))
    search_fields = ("first_name", "last_name", "group", "family__payer_name", "family__number")
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


from . import admin_devices, admin_logins, admin_throttle  # noqa: E402,F401  (second-factor devices, logins, cool-downs)
