import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from billing.ledger import services
from billing.ledger.balance import wallet_balances
from billing.tests.factories import ConsumptionFactory, PaymentAllocationFactory, PaymentFactory, WalletFactory

pytestmark = pytest.mark.django_db


def balances(family):
    return {row.wallet.name: row.balance for row in wallet_balances(family=family)}


def test_consumption_post_rounds_the_total_half_up_and_is_idempotent_with_a_key(family, wallets):
    emmy = family.children.get()
    kwargs = {"family": family, "child": emmy, "wallet": wallets["periscolaire"], "day": datetime.date(2017, 1, 31),
              "activity_label": "Garderie", "unit_price": Decimal("0.2125"), "quantity": Decimal(7),
              "source_key": "reservation:1"}
    first = services.consumption_post(**kwargs)
    assert first.total == Decimal("1.49")  # 1.4875 → 1.49
    assert services.consumption_post(**kwargs).pk == first.pk


def test_consumption_post_refuses_another_structures_wallet_or_child(family, wallets):
    foreign = WalletFactory()
    with pytest.raises(ValidationError):
        services.consumption_post(family=family, wallet=foreign, day=datetime.date(2017, 1, 2), activity_label="x",
                                  unit_price=Decimal(1))
    stranger_child = ConsumptionFactory().child
    with pytest.raises(ValidationError):
        services.consumption_post(family=family, child=stranger_child, wallet=wallets["loisirs"], day=datetime.date(2017, 1, 2),
                                  activity_label="x", unit_price=Decimal(1))


def test_a_corrected_consumption_stays_in_history_and_the_balance_comes_back(family, wallets):
    line = ConsumptionFactory(family=family, child=family.children.get(), wallet=wallets["restauration"],
                              unit_price=Decimal("4.62"))
    assert balances(family)["Restauration"] == Decimal("-4.62")
    correction = services.consumption_correct(consumption=line)
    assert (correction.total, correction.quantity, correction.correction_of) == (Decimal("-4.62"), Decimal(-1), line)
    assert "Correction de la ligne du 31/01/2017" in correction.note
    assert balances(family)["Restauration"] == Decimal("0.00")
    assert family.consumptions.count() == 2
    with pytest.raises(services.AlreadyCorrectedError):
        services.consumption_correct(consumption=line)
    with pytest.raises(services.AlreadyCorrectedError):
        services.consumption_correct(consumption=correction)


def test_payment_record_needs_allocations_that_add_up(family, wallets):
    with pytest.raises(ValidationError, match="doit être égale"):
        services.payment_record(family=family, date=datetime.date(2017, 1, 29), mode="cheque", amount=Decimal("50"),
                                allocations=[(wallets["loisirs"], Decimal("40"))])
    with pytest.raises(ValidationError):
        services.payment_record(family=family, date=datetime.date(2017, 1, 29), mode="cheque", amount=Decimal("50"),
                                allocations=[])
    payment = services.payment_record(family=family, date=datetime.date(2017, 1, 29), mode="cheque", amount=Decimal("50"),
                                      allocations=[(wallets["loisirs"], Decimal("20")), (wallets["restauration"], Decimal("30"))])
    assert payment.payer_name == family.payer_name
    assert balances(family) == {"Accueil de Loisirs": Decimal("20.00"), "Accueil Périscolaire": Decimal("0.00"),
                                "Restauration": Decimal("30.00")}


def test_a_bounced_cheque_is_cancelled_by_the_opposite_payment(family, wallets):
    payment = PaymentFactory(family=family, amount=Decimal("50.00"))
    PaymentAllocationFactory(payment=payment, wallet=wallets["loisirs"], amount=Decimal("50.00"))
    opposite = services.payment_correct(payment=payment, on_date=datetime.date(2017, 2, 10))
    assert (opposite.amount, opposite.date, opposite.correction_of) == (Decimal("-50.00"), datetime.date(2017, 2, 10), payment)
    assert [a.amount for a in opposite.allocations.all()] == [Decimal("-50.00")]
    assert balances(family)["Accueil de Loisirs"] == Decimal("0.00")
    with pytest.raises(services.AlreadyCorrectedError):
        services.payment_correct(payment=payment)
