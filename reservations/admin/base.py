"""What the admin modules of reservations share."""
from accounts.admin_scope import StructureScopedAdmin


class ReadOnlyAdmin(StructureScopedAdmin):
    """A record kept as history: listed and read, never added, changed or deleted by hand."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
