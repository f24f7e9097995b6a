from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from .models import Message, Structure


class MessageInline(admin.StackedInline):
    model = Message
    extra = 0
    fields = ("title", "body", "publish_from", "publish_until")


@admin.register(Structure)
class StructureAdmin(admin.ModelAdmin):
    list_display = ("name", "slug", "contact_email", "contact_phone", "history_months")
    search_fields = ("name", "slug")
    prepopulated_fields = {"slug": ("name",)}
    inlines = [MessageInline]

    def get_queryset(self, request):
        # Structure is the scope itself: staff see only their own, reached through the
        # reverse relation so portal needs no import of accounts (the layer above it).
        queryset = super().get_queryset(request)
        if request.user.is_superuser:
            return queryset
        return queryset.filter(staff_memberships__user=request.user)

    def has_add_permission(self, request):
        return request.user.is_superuser

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser


@admin.register(Message)
class MessageAdmin(admin.ModelAdmin):
    list_display = ("title", "structure", "publish_from", "publish_until")
    list_filter = ("structure",)
    search_fields = ("title", "body")
    date_hierarchy = "publish_from"

    def get_queryset(self, request):
        queryset = super().get_queryset(request).select_related("structure")
        if request.user.is_superuser:
            return queryset
        return queryset.filter(structure__staff_memberships__user=request.user)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "structure" and not request.user.is_superuser:
            kwargs["queryset"] = Structure.objects.filter(staff_memberships__user=request.user)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


admin.site.site_header = _("Portail Famille — administration")
admin.site.site_title = _("Portail Famille")
admin.site.index_title = _("Gestion des structures")
