"""The money part of the parent's home page (issue 11): each wallet's balance and the amount
owed, from the ledger in one query. Registered with portal.home from BillingConfig.ready()."""
from __future__ import annotations

import datetime
from decimal import Decimal

from portal.home import HomeSection

from .balance import wallet_balances


def home_balance(*, family, now: datetime.datetime) -> HomeSection | None:
    wallets = wallet_balances(family=family)
    if not wallets:
        return None
    due = -sum((row.balance for row in wallets if row.balance < 0), Decimal("0.00"))
    return HomeSection(template="billing/_home_balance.html", context={"wallets": wallets, "amount_due": due})
