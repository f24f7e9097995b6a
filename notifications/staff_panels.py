"""The family at a glance, notifications' part: the e-mails sent to the family and their state."""
from django.utils.translation import gettext as _

from accounts.staff_panels import Panel, register_family_panel

from .models import OutboxEmail

LAST_EMAILS = 10


@register_family_panel
def emails_panel(*, request, family) -> Panel:
    emails = list(OutboxEmail.objects.filter(family=family).order_by("-created_at", "-id")[:LAST_EMAILS])
    return Panel(title=_("E-mails envoyés"), template="admin/staff_family/_emails.html", order=40, context={"emails": emails})
