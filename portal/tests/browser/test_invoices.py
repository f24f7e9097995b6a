"""Mes factures in a real Chromium: a paid and a due invoice, axe-clean, no sideways scroll on a phone."""
import datetime
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from accounts.tests.factories import ChildFactory, FamilyFactory, UserFactory
from billing.invoicing import services
from billing.ledger.services import payment_record
from billing.models import Wallet
from billing.tests.factories import ConsumptionFactory, WalletFactory

from .helpers import audit_page

pytestmark = pytest.mark.browser


def test_mes_factures_shows_states_and_passes_axe(page, login_as, travel_to, db):
    travel_to(2026, 12, 10, 10, 0)
    user = UserFactory(username="facture.parent")
    family = FamilyFactory(users=[user], payer_name="FACTURE Parent")
    child = ChildFactory(family=family, first_name="Lina")
    wallet = WalletFactory(structure=family.structure, name="Études", mode=Wallet.Mode.INVOICED)
    for month in (10, 11):
        ConsumptionFactory(family=family, child=child, wallet=wallet, day=datetime.date(2026, month, 5),
                           activity_label="Études surveillées", unit_price=Decimal("2.50"), quantity=Decimal("4"))
        run = services.invoicing_run_start(structure=family.structure, month=datetime.date(2026, month, 1))
        services.invoicing_run_finalise(run=run, on_date=datetime.date(2026, month + 1, 1))
    payment_record(family=family, date=datetime.date(2026, 11, 20), mode="cheque", amount=Decimal("10.00"),
                   allocations=[(wallet, Decimal("10.00"))])
    login_as(page.context, user)
    page.goto("/facturation/factures/")
    rows = page.locator("main table tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.nth(0)).to_contain_text("À payer")
    expect(rows.nth(1)).to_contain_text("Payée")
    audit_page(page, label="mes factures")
