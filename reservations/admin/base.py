"""What the admin modules of reservations share."""
from accounts.admin_scope import ReadOnlyAdmin

__all__ = ["ReadOnlyAdmin"]
