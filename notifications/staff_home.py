"""The staff home's panel of notifications: e-mails that did not reach a family."""
import datetime

from django.db.models import Count, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import ngettext

from accounts.staff_panels import Panel, TodoItem, register_home_panel

from .models import OutboxEmail

Status = OutboxEmail.Status
# Families without an address are listed for the last month: older ones were told another way.
NO_ADDRESS_DAYS = 31


@register_home_panel
def outbox_panel(*, request, structure_ids) -> Panel | None:
    emails = OutboxEmail.objects.all()
    if structure_ids is not None:
        emails = emails.filter(family__structure__in=structure_ids)
    since = timezone.now() - datetime.timedelta(days=NO_ADDRESS_DAYS)
    counts = emails.aggregate(failed=Count("pk", filter=Q(status=Status.FAILED)),
                              no_address=Count("pk", filter=Q(status=Status.NO_ADDRESS, created_at__gte=since)))
    url = reverse("admin:notifications_outboxemail_changelist")
    todo = []
    if counts["failed"]:
        todo.append(TodoItem(counts["failed"], ngettext("e-mail en échec (à renvoyer)", "e-mails en échec (à renvoyer)",
                                                        counts["failed"]), f"{url}?status__exact={Status.FAILED}", urgent=True))
    if counts["no_address"]:
        todo.append(TodoItem(counts["no_address"], ngettext(
            "e-mail non envoyé ce mois-ci : famille sans adresse (à prévenir autrement)",
            "e-mails non envoyés ce mois-ci : familles sans adresse (à prévenir autrement)", counts["no_address"]),
            f"{url}?status__exact={Status.NO_ADDRESS}"))
    return Panel(title="", template="", todo=todo, order=30) if todo else None
