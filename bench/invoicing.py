"""Monthly invoicing of 5,000 families: drafts, then finalisation (numbers), timed with peak memory.

Usage: DATABASE_URL=postgres://postgres@127.0.0.1:5432/portal .venv/bin/python -m bench.invoicing
Creates its own throwaway PostgreSQL database (test_bench_invoicing_<pid>), fills it with 5,000
families of one structure (1 to 3 children each, canteen and after-school lines on every school
day of November 2026 on two invoiced wallets: about 190,000 consumption lines), then runs the
invoicing in a fresh process so that the peak memory printed (max RSS) is the run's own, not the
filling's. Targets (dev machine): ≤ 60 s, ≤ 400 MB. A figure over its target is labelled SLOW
but the exit status stays 0: the bench reports, it does not gate (an error still fails).
"""
import datetime
import json
import os
import resource
import subprocess
import sys
import time

import django
from django.conf import settings

os.environ["DJANGO_SETTINGS_MODULE"] = "portal.settings_test"
django.setup()
settings.DEBUG = False

FAMILIES = 5000
MONTH = datetime.date(2026, 11, 1)
TARGET_SECONDS, TARGET_MB = 60.0, 400.0


def fill() -> int:
    from accounts.models import Child, Family
    from billing.models import Consumption, Wallet
    from portal.models import Structure

    structure = Structure.objects.create(name="Mairie de Bench", slug="bench-invoicing")
    canteen = Wallet.objects.create(structure=structure, name="Restauration", mode=Wallet.Mode.INVOICED)
    care = Wallet.objects.create(structure=structure, name="Accueil Périscolaire", mode=Wallet.Mode.INVOICED, position=1)
    families = Family.objects.bulk_create([Family(structure=structure, number=f"{n:06d}", payer_name=f"FAMILLE{n} Jean",
                                                  address=f"{n} rue du Bench\n33000 Bordeaux") for n in range(FAMILIES)])
    children = Child.objects.bulk_create([Child(family=family, first_name=f"Enfant{n}-{k}", last_name=f"NOM{n}",
                                                birth_date=datetime.date(2020, 1 + k, 1))
                                          for n, family in enumerate(families) for k in range(1 + n % 3)])
    days = [day for day in (MONTH + datetime.timedelta(days=d) for d in range(30)) if day.weekday() in (0, 1, 3, 4)]
    batch: list = []
    count = 0
    for index, child in enumerate(children):
        for day in days:
            batch.append(Consumption(family_id=child.family_id, child=child, wallet=canteen, day=day,
                                     activity_label="Restauration Scolaire", unit_price=4, quantity=1, total=4))
            if (index + day.day) % 2 == 0:
                batch.append(Consumption(family_id=child.family_id, child=child, wallet=care, day=day,
                                         activity_label="Garderie Soir Scolaire", unit_price="0.45", quantity=4,
                                         total="1.80"))
        if len(batch) > 20000:
            Consumption.objects.bulk_create(batch)
            count += len(batch)
            batch = []
    Consumption.objects.bulk_create(batch)
    return count + len(batch)


def run_invoicing(database: str) -> dict:
    settings.DATABASES["default"]["NAME"] = database
    from billing.invoicing.models import Invoice, InvoiceLine
    from billing.invoicing.services import invoicing_run_finalise, invoicing_run_start
    from portal.models import Structure

    structure = Structure.objects.get(slug="bench-invoicing")
    start = time.perf_counter()
    run = invoicing_run_start(structure=structure, month=MONTH)
    drafted = time.perf_counter()
    finalised = invoicing_run_finalise(run=run, on_date=datetime.date(2026, 12, 1))
    end = time.perf_counter()
    numbers = list(Invoice.objects.filter(run=run).order_by("number").values_list("number", flat=True))
    assert finalised == FAMILIES and len(set(numbers)) == FAMILIES and numbers[-1] == f"F2026-{FAMILIES:06d}"
    return {"drafts_s": drafted - start, "finalise_s": end - drafted, "total_s": end - start,
            "invoices": finalised, "lines": InvoiceLine.objects.filter(invoice__run=run).count(),
            "maxrss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def main() -> int:
    if len(sys.argv) == 3 and sys.argv[1] == "--run":
        print(json.dumps(run_invoicing(sys.argv[2])))
        return 0
    from django.db import connections
    from django.test.utils import setup_databases, teardown_databases

    settings.DATABASES["default"].setdefault("TEST", {})["NAME"] = f"test_bench_invoicing_{os.getpid()}"
    old_config = setup_databases(verbosity=0, interactive=False)
    try:
        started = time.perf_counter()
        lines = fill()
        database = settings.DATABASES["default"]["NAME"]
        connections.close_all()
        print(f"filled {FAMILIES} families, {lines} consumption lines in {time.perf_counter() - started:.1f} s")
        output = subprocess.run([sys.executable, "-m", "bench.invoicing", "--run", database], check=True,
                                capture_output=True, text=True).stdout
        figures = json.loads(output.strip().splitlines()[-1])
        ok_time, ok_memory = figures["total_s"] <= TARGET_SECONDS, figures["maxrss_mb"] <= TARGET_MB
        print(f"invoicing a month, {figures['invoices']} families ({figures['lines']} invoice lines): drafts "
              f"{figures['drafts_s']:.1f} s + finalisation {figures['finalise_s']:.1f} s = {figures['total_s']:.1f} s"
              f"   target ≤ {TARGET_SECONDS:.0f} s   {'OK' if ok_time else 'SLOW'}")
        print(f"peak memory of the run (max RSS): {figures['maxrss_mb']:.0f} MB   target ≤ {TARGET_MB:.0f} MB   "
              f"{'OK' if ok_memory else 'OVER'}")
        print(f"  load average at the end: {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs")
        return 0
    finally:
        teardown_databases(old_config, verbosity=0)


if __name__ == "__main__":
    sys.exit(main())
