"""python manage.py places_recount [--fix]: the days' place counters against their reservations.

The counters are kept by a database trigger (reservations.counters); this counts every
day again from its rows and lists the days where they differ. Exit status 1 when one
does (for monitoring), unless ``--fix`` set them right.
"""
import sys

from django.core.management.base import BaseCommand

from reservations.counters import counters_recount


class Command(BaseCommand):
    help = "Recompte les places prises de chaque journée à partir des réservations et signale les écarts."

    def add_arguments(self, parser):
        parser.add_argument("--fix", action="store_true", help="Corriger les compteurs qui diffèrent.")

    def handle(self, *args, fix=False, **options):
        drifts = counters_recount(fix=fix)
        for drift in drifts:
            self.stdout.write(
                f"journée {drift.occurrence_id} : compteur {drift.counted[0]} places / {drift.counted[1]} en attente, "
                f"recompté {drift.recounted[0]} / {drift.recounted[1]}{' — corrigé' if fix else ''}")
        if not drifts:
            self.stdout.write("Aucun écart : les compteurs de places sont justes.")
            return
        self.stdout.write(f"{len(drifts)} journée(s) en écart{', corrigées' if fix else ''}.")
        if not fix:
            sys.exit(1)
