import datetime
from decimal import Decimal

import factory

from accounts.tests.factories import ChildFactory, FamilyFactory, StructureFactory
from billing.models import Consumption, Payment, PaymentAllocation, Tariff, TariffRate, Wallet


class WalletFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Wallet
        django_get_or_create = ("structure", "name")

    structure = factory.SubFactory(StructureFactory)
    name = factory.Sequence(lambda n: f"Porte-monnaie {n}")
    mode = Wallet.Mode.PREPAID


class TariffFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Tariff

    structure = factory.SubFactory(StructureFactory)
    name = factory.Sequence(lambda n: f"Tarif {n}")
    kind = Tariff.Kind.FLAT


class TariffRateFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TariffRate

    tariff = factory.SubFactory(TariffFactory)
    valid_from = datetime.date(2016, 9, 1)
    amount = Decimal("4.62")


class ConsumptionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Consumption

    family = factory.SubFactory(FamilyFactory)
    child = factory.SubFactory(ChildFactory, family=factory.SelfAttribute("..family"))
    wallet = factory.SubFactory(WalletFactory, structure=factory.SelfAttribute("..family.structure"))
    day = datetime.date(2017, 1, 31)
    activity_label = "Restauration Scolaire"
    unit_price = Decimal("4.62")
    quantity = Decimal("1")
    total = factory.LazyAttribute(lambda o: (o.unit_price * o.quantity).quantize(Decimal("0.01")))


class PaymentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Payment

    family = factory.SubFactory(FamilyFactory)
    date = datetime.date(2017, 2, 1)
    mode = Payment.Mode.CHEQUE
    piece_number = factory.Sequence(lambda n: f"{2578012 + n}")
    payer_name = "GUIDE DENIS"
    bank_name = "CREDIT AGRICOLE"
    amount = Decimal("50.00")


class PaymentAllocationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PaymentAllocation

    payment = factory.SubFactory(PaymentFactory)
    wallet = factory.SubFactory(WalletFactory, structure=factory.SelfAttribute("..payment.family.structure"))
    amount = factory.SelfAttribute("payment.amount")
