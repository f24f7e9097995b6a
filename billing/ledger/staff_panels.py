"""The family at a glance, billing's part: balance per wallet, amount owed, last lines of the ledger."""
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.staff_panels import Panel, register_family_panel
from billing.models import Consumption, Payment

from .balance import balance_summary

LAST_LINES = 8


@register_family_panel
def ledger_panel(*, request, family) -> Panel:
    """Four queries whatever the family's history: balances, estimates, consumptions, payments."""
    summary = balance_summary(family=family, until=timezone.localdate(), include_confirmed=True, include_pending=True)
    consumptions = list(Consumption.objects.filter(family=family).select_related("child", "wallet")
                        .order_by("-day", "-id")[:LAST_LINES])
    payments = list(Payment.objects.filter(family=family).order_by("-date", "-id")[:LAST_LINES])
    return Panel(title=_("Solde et historiques"), template="admin/staff_family/_ledger.html", order=10,
                 context={"summary": summary, "consumptions": consumptions, "payments": payments})
