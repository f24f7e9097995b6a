"""What a family's reservations will cost, per prepaid wallet: the balance page's estimate.

Billing cannot import reservations (layers), so billing asks every registered provider;
this one is registered in ReservationsConfig.ready(). Confirmed = accepted requests
whose cancellation is not asked; pending = not transmitted, awaiting a staff decision,
or on the waiting list (cancellation not asked). Invoiced wallets are never estimated.
"""
from __future__ import annotations

import datetime
from decimal import Decimal

from django.db.models import Q, Sum

from billing.models import Wallet
from portal import dates
from reservations.models import Reservation

State = Reservation.State
CONFIRMED_STATES = (State.ACCEPTED,)
PENDING_STATES = (State.NOT_TRANSMITTED, State.AWAITING_DECISION, State.WAITING_LIST)


def reservations_estimate(
    *, family, until: datetime.date, include_confirmed: bool, include_pending: bool, today: datetime.date | None = None,
) -> dict[int, Decimal]:
    """{wallet_id: sum of cost} of the family's reservations from today to ``until`` (one query)."""
    states = (CONFIRMED_STATES if include_confirmed else ()) + (PENDING_STATES if include_pending else ())
    today = today or dates.today()
    if not states or until < today:
        return {}
    rows = (
        Reservation.objects.filter(
            Q(family=family, state__in=states, cancel_requested_at__isnull=True,
              occurrence__date__gte=today, occurrence__date__lte=until,
              occurrence__activity__wallet__mode=Wallet.Mode.PREPAID)
        )
        .order_by()
        .values("occurrence__activity__wallet_id")
        .annotate(total=Sum("cost"))
    )
    return {row["occurrence__activity__wallet_id"]: row["total"] or Decimal("0.00") for row in rows}
