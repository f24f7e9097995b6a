"""Second-factor devices in the admin: superusers only, to reset the device of a lost phone.

django-otp's own admin (QR code pages, key display) is replaced: a device is enrolled by its
owner on the "Deuxième facteur" page, never shown to anyone else.
"""
from django.contrib import admin
from django_otp.plugins.otp_totp.models import TOTPDevice

if admin.site.is_registered(TOTPDevice):
    admin.site.unregister(TOTPDevice)


@admin.register(TOTPDevice)
class DeviceAdmin(admin.ModelAdmin):
    list_display = ("user", "name", "confirmed", "last_used_at")
    search_fields = ("user__username",)
    fields = ("user", "name", "confirmed", "last_used_at")
    readonly_fields = fields

    def has_module_permission(self, request):
        return request.user.is_superuser

    def has_view_permission(self, request, obj=None):
        return request.user.is_superuser

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser

