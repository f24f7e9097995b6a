"""Demo wallets, tariffs, consumptions and payments modelled on the user guide.

Runs after accounts/demo.py. Idempotent: every line and payment has a stable
`source_key`; rerunning changes nothing (the current month's lines grow with the
days that have passed, and that month's payment is adjusted to match them).

January 2017 for Emmy GUIDE reproduces the guide's screens: the month's consumptions
total 152,07 €, payments of 29/01 (INTERNET 150,00) and 01/02 (CHEQUE 50,00), and the
balances Accueil de Loisirs 0,00 / Accueil Périscolaire -13,53 / Restauration -71,60
(Montant dû 85,13). The recent months' lines are matched by payments of the same
amount, so they do not change those balances. A day the nightly run has already charged
from a booking gets no history line (reservations.demo marks the bookings the history
charges as posted): each day is charged once, and the night moves the balance only by
the days it posts.
"""
import datetime
from decimal import Decimal

from accounts.models import Child, Family
from portal import dates
from portal.demo import CAMBIANES, CARTEVILLE
from portal.models import Structure

from .models import Consumption, Payment, PaymentAllocation, ProviderConfig, Tariff, TariffRate, Wallet

D = Decimal
SCHOOL_YEAR_2016 = datetime.date(2016, 9, 1)
QF_2017 = datetime.date(2017, 9, 1)

# label → (wallet, unit price in 2016-2017)
LINES_2017 = {
    "R": ("Restauration", "Restauration Scolaire", D("4.62")),
    "GM": ("Accueil Périscolaire", "Garderie Matin Scolaire", D("0.45")),
    "GS": ("Accueil Périscolaire", "Garderie Soir Scolaire", D("0.45")),
    "G": ("Accueil Périscolaire", "Gouter", D("0.81")),
    "M": ("Accueil de Loisirs", "Mercredi demi-journée", D("7.64")),
    "V": ("Accueil de Loisirs", "Vacances journée", D("3.59")),
}


def _wallets(structure, specs):
    wallets = {}
    for position, (name, mode) in enumerate(specs, start=1):
        wallet, _ = Wallet.objects.get_or_create(structure=structure, name=name, defaults={"mode": mode, "position": position})
        wallets[name] = wallet
    return wallets


def _tariff(structure, name, *, kind=Tariff.Kind.FLAT, unit_minutes=None, rates=()):
    tariff, _ = Tariff.objects.get_or_create(structure=structure, name=name,
                                             defaults={"kind": kind, "unit_minutes": unit_minutes})
    for valid_from, valid_until, low, high, amount in rates:
        TariffRate.objects.get_or_create(
            tariff=tariff, valid_from=valid_from, quotient_min=low, quotient_max=high,
            defaults={"valid_until": valid_until, "amount": amount},
        )
    return tariff


def _brackets(valid_from, low_amount, mid_amount, high_amount, *, valid_until=None):
    """Quotient brackets < 700, 700–1200, ≥ 1200."""
    return [
        (valid_from, valid_until, None, D(700), D(low_amount)),
        (valid_from, valid_until, D(700), D(1200), D(mid_amount)),
        (valid_from, valid_until, D(1200), None, D(high_amount)),
    ]


def _tariffs(carteville, cambianes):
    old = (SCHOOL_YEAR_2016, datetime.date(2017, 8, 31))
    _tariff(carteville, "Restauration Scolaire",
            rates=[(*old, None, None, D("4.62")), *_brackets(QF_2017, "3.76", "4.20", "4.62")])
    _tariff(carteville, "Garderie", kind=Tariff.Kind.PER_TIME_UNIT, unit_minutes=15,
            rates=[(SCHOOL_YEAR_2016, None, None, None, D("0.45"))])
    _tariff(carteville, "APS MATIN", kind=Tariff.Kind.PER_TIME_UNIT, unit_minutes=15,
            rates=[(SCHOOL_YEAR_2016, None, None, None, D("0.45"))])
    _tariff(carteville, "Mercredi demi-journée",
            rates=[(*old, None, None, D("7.64")), *_brackets(QF_2017, "5.90", "6.80", "7.64")])
    _tariff(carteville, "Vacances journée",
            rates=[(*old, None, None, D("3.59")), *_brackets(QF_2017, "3.59", "8.50", "12.40")])
    _tariff(carteville, "Gouter", rates=[(SCHOOL_YEAR_2016, None, None, None, D("0.81"))])
    _tariff(cambianes, "Mercredi journée", rates=_brackets(QF_2017, "9.50", "12.00", "15.00"))
    _tariff(cambianes, "Séjour vacances (semaine)", rates=[(QF_2017, None, None, None, D("120.00"))])


def _consume(key, *, family, child, wallet, day, label, unit_price, quantity):
    """One history line, unless the night has charged that day already (from a booking):
    the history stops where the night's postings start, a day is never charged twice."""
    quantity = D(quantity)
    if Consumption.objects.filter(family=family, child=child, day=day, activity_label=label).exclude(
            source_key__startswith="demo:").exists():
        return
    Consumption.objects.get_or_create(source_key=key, defaults={
        "family": family, "child": child, "wallet": wallet, "day": day, "activity_label": label,
        "unit_price": unit_price, "quantity": quantity, "total": (unit_price * quantity).quantize(D("0.01")),
    })


def _pay(key, *, family, date, mode, amount, allocations, piece="", payer="", bank=""):
    payment, created = Payment.objects.get_or_create(source_key=key, defaults={
        "family": family, "date": date, "mode": mode, "amount": amount,
        "piece_number": piece, "payer_name": payer, "bank_name": bank,
    })
    if not created and payment.amount != amount:
        payment.amount = amount
        payment.save(update_fields=["amount"])
    wanted = {(wallet.pk, amount) for wallet, amount in allocations if amount}
    if set(payment.allocations.values_list("wallet_id", "amount")) != wanted:
        payment.allocations.all().delete()
        PaymentAllocation.objects.bulk_create([PaymentAllocation(payment=payment, wallet_id=w,
                                                                 amount=a) for w, a in sorted(wanted)])
    return payment


def _guide_2017(family, emmy, wallets):
    """December 2016 and January 2017 as in the user guide."""
    lines = []
    # January 2017: the guide's rows (26, 27, 30, 31) ...
    lines += [(31, "GS", 7), (31, "GM", 3), (31, "R", 1), (31, "G", 1), (30, "R", 1), (30, "G", 1), (30, "GM", 3),
              (30, "GS", 9), (27, "GM", 3), (27, "R", 1), (26, "GS", 10), (26, "R", 1)]
    lines = [(datetime.date(2017, 1, d), code, q) for d, code, q in lines]
    # ... and the earlier school days of the month (TOTAL of January: 152,07 €).
    january = [3, 5, 6, 9, 10, 12, 13, 16, 17, 19, 20, 23, 24]
    for index, d in enumerate(january):
        day = datetime.date(2017, 1, d)
        lines += [(day, "R", 1), (day, "GM", 3), (day, "GS", 6 if index == 0 else 5)]
        if index not in (4, 9):
            lines.append((day, "G", 1))
    # December 2016: school days, two Wednesdays at the leisure centre, three holiday days.
    december = [1, 2, 5, 6, 8, 9, 12, 13, 15, 16]
    for index, d in enumerate(december):
        day = datetime.date(2016, 12, d)
        lines += [(day, "R", 1), (day, "GM", 3), (day, "GS", 8 if index < 2 else 7)]
        if index < 7:
            lines.append((day, "G", 1))
    for d in (7, 14):
        day = datetime.date(2016, 12, d)
        lines += [(day, "M", 1), (day, "R", 1)]
    for d in (19, 20, 21):
        lines.append((datetime.date(2016, 12, d), "V", 1))
    for day, code, quantity in lines:
        wallet_name, label, price = LINES_2017[code]
        _consume(f"demo:guide:{day:%Y-%m-%d}:{code}", family=family, child=emmy, wallet=wallets[wallet_name],
                 day=day, label=label, unit_price=price, quantity=quantity)

    _pay("demo:guide:internet-445401", family=family, date=datetime.date(2017, 1, 29), mode=Payment.Mode.INTERNET,
         amount=D("150.00"), piece="3150-N°AUTO:445401", payer="POUR .GUIDE CARTE+", bank="PAR INTERNET",
         allocations=[(wallets["Accueil de Loisirs"], D("26.05")), (wallets["Restauration"], D("62.38")),
                      (wallets["Accueil Périscolaire"], D("61.57"))])
    _pay("demo:guide:cheque-2578012", family=family, date=datetime.date(2017, 2, 1), mode=Payment.Mode.CHEQUE,
         amount=D("50.00"), piece="2578012", payer="GUIDE DENIS", bank="CREDIT AGRICOLE",
         allocations=[(wallets["Accueil Périscolaire"], D("50.00"))])


def _school_days(first: datetime.date, until: datetime.date):
    """Mondays, Tuesdays, Thursdays and Fridays from `first` to `until` included."""
    day = first
    while day <= until:
        if day.weekday() in (0, 1, 3, 4):
            yield day
        day += datetime.timedelta(days=1)


def _recent(family, child, wallets, *, prefix, today, canteen_price, payer, mode):
    """The previous month and the current one up to yesterday, each with a matching payment."""
    first_current = today.replace(day=1)
    first_previous = (first_current - datetime.timedelta(days=1)).replace(day=1)
    periods = [(first_previous, first_current - datetime.timedelta(days=1)), (first_current, today - datetime.timedelta(days=1))]
    for first, last in periods:
        by_wallet: dict[str, Decimal] = {}
        for index, day in enumerate(_school_days(first, last)):
            rows = [("R", "Restauration", "Restauration Scolaire", canteen_price, 1)]
            if index % 2 == 0:
                rows.append(("GS", "Accueil Périscolaire", "Garderie Soir Scolaire", D("0.45"), 4 + index % 3))
                rows.append(("G", "Accueil Périscolaire", "Gouter", D("0.81"), 1))
            if day.weekday() == 0:
                rows.append(("GM", "Accueil Périscolaire", "Garderie Matin Scolaire", D("0.45"), 3))
            for code, wallet_name, label, price, quantity in rows:
                if wallet_name not in wallets:
                    continue
                _consume(f"demo:{prefix}:{day:%Y-%m-%d}:{code}", family=family, child=child, wallet=wallets[wallet_name],
                         day=day, label=label, unit_price=price, quantity=quantity)
        for line in Consumption.objects.filter(family=family, day__gte=first, day__lte=last,
                                               source_key__startswith=f"demo:{prefix}:"):
            by_wallet[line.wallet.name] = by_wallet.get(line.wallet.name, D(0)) + line.total
        amount = sum(by_wallet.values(), D(0))
        if amount:
            _pay(f"demo:{prefix}:payment:{first:%Y-%m}", family=family, date=min(first + datetime.timedelta(days=2), last),
                 mode=mode, amount=amount, piece=f"{first:%Y%m}-{family.number}", payer=payer,
                 bank="PAR INTERNET" if mode == Payment.Mode.INTERNET else "",
                 allocations=[(wallets[name], total) for name, total in sorted(by_wallet.items())])


def _online_payment(structure) -> None:
    """The dummy provider (a bank page of the site itself, usable only with DEBUG): `make run` shows
    the whole online payment, Recharger / Payer → bank page → paid → history and balance."""
    if not ProviderConfig.objects.filter(structure=structure, is_active=True).exists():
        ProviderConfig.objects.create(structure=structure, kind=ProviderConfig.Kind.DUMMY, identifier="demo",
                                      topup_min=D("5.00"), topup_max=D("300.00"))


def seed(*, stdout) -> None:
    carteville = Structure.objects.get(slug=CARTEVILLE)
    cambianes = Structure.objects.get(slug=CAMBIANES)
    today = dates.today()
    # The guide's screens are in January 2017: keep that month reachable in the demo.
    months_back = (today.year - 2017) * 12 + today.month - 1 + 1
    if carteville.history_months < months_back:
        Structure.objects.filter(pk=carteville.pk).update(history_months=months_back)

    cv_wallets = _wallets(carteville, [("Accueil de Loisirs", Wallet.Mode.PREPAID), ("Accueil Périscolaire", Wallet.Mode.PREPAID),
                                       ("Restauration", Wallet.Mode.PREPAID)])
    cb_wallets = _wallets(cambianes, [("Accueil de Loisirs", Wallet.Mode.PREPAID), ("Séjours", Wallet.Mode.INVOICED)])
    _tariffs(carteville, cambianes)

    guide = Family.objects.get(structure=carteville, number="000123")
    emmy = Child.objects.get(family=guide, first_name="Emmy")
    _guide_2017(guide, emmy, cv_wallets)
    _recent(guide, emmy, cv_wallets, prefix="guide", today=today, canteen_price=D("3.76"),
            payer="GUIDE DENIS", mode=Payment.Mode.INTERNET)

    dupont_cv = Family.objects.get(structure=carteville, number="000456")
    paolo = Child.objects.get(family=dupont_cv, first_name="Paolo")
    _recent(dupont_cv, paolo, cv_wallets, prefix="dupont-cv", today=today, canteen_price=D("4.20"),
            payer="DUPONT Jean-Paul", mode=Payment.Mode.CARD)

    dupont_cb = Family.objects.get(structure=cambianes, number="C-0789")
    amalia = Child.objects.get(family=dupont_cb, first_name="Amalia")
    previous_month = (today.replace(day=1) - datetime.timedelta(days=1)).replace(day=1)
    for week in range(4):
        wednesday = previous_month + datetime.timedelta(days=(2 - previous_month.weekday()) % 7 + 7 * week)
        _consume(f"demo:dupont-cb:{wednesday:%Y-%m-%d}:MJ", family=dupont_cb, child=amalia,
                 wallet=cb_wallets["Accueil de Loisirs"],
                 day=wednesday, label="Mercredi journée", unit_price=D("12.00"), quantity=1)
    _consume(f"demo:dupont-cb:{previous_month:%Y-%m}:sejour", family=dupont_cb, child=amalia, wallet=cb_wallets["Séjours"],
             day=previous_month, label="Séjour vacances (semaine)", unit_price=D("120.00"), quantity=1)
    _pay(f"demo:dupont-cb:payment:{previous_month:%Y-%m}", family=dupont_cb, date=previous_month, mode=Payment.Mode.CHEQUE,
         amount=D("48.00"), piece="0001234", payer="DUPONT Jean-Paul", bank="BANQUE POSTALE",
         allocations=[(cb_wallets["Accueil de Loisirs"], D("48.00"))])
    _online_payment(carteville)
    _online_payment(cambianes)
    stdout.write("  facturation : porte-monnaie, tarifs, historiques de janvier 2017 (GUIDE) et des deux derniers mois")
    from .invoicing.demo import seed_invoices

    seed_invoices(structure=carteville, stdout=stdout)
