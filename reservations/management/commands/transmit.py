"""python manage.py transmit [--structure SLUG] [--dry-run]: the nightly transmission by hand."""
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from portal.models import Structure
from reservations.nightly.figures import LABELS
from reservations.nightly.run import TransmissionBusy, transmission_run
from reservations.nightly.settle import PER_TRANSACTION


class Command(BaseCommand):
    help = "Transmet les demandes de réservation (comme la nuit) : une structure ou toutes."

    def add_arguments(self, parser):
        parser.add_argument("--structure", metavar="SLUG", help="Seulement cette structure (slug).")
        parser.add_argument("--dry-run", action="store_true", help="Tout calculer puis tout annuler : rien n'est écrit.")
        parser.add_argument("--per-transaction", type=int, default=PER_TRANSACTION, metavar="N",
                            help=f"Journées traitées par transaction (défaut {PER_TRANSACTION}).")

    def handle(self, *args, structure=None, dry_run=False, per_transaction=PER_TRANSACTION, verbosity=1, **options):
        if per_transaction < 1:
            raise CommandError("--per-transaction doit être au moins 1.")
        structures = Structure.objects.order_by("pk")
        if structure:
            structures = structures.filter(slug=structure)
            if not structures.exists():
                raise CommandError(f"Structure inconnue : {structure}")
        failed = False
        for current in structures:
            self.stdout.write(f"{current.name} ({current.slug}){' — essai à blanc' if dry_run else ''}")

            def progress(done, counts):
                if verbosity:
                    self.stdout.write(f"  … {done} journées traitées")
                    self.stdout.flush()

            try:
                run = transmission_run(structure=current, now=timezone.now(), dry_run=dry_run, progress=progress,
                                       per_transaction=per_transaction)
            except TransmissionBusy as exc:
                self.stderr.write(f"  {exc}")
                failed = True
                continue
            summary = ", ".join(f"{run.counts.get(key, 0)} {label}" for key, label in LABELS.items())
            self.stdout.write(self.style.SUCCESS(f"  Terminé : {summary}."))
        if failed:
            raise CommandError("Au moins une structure n'a pas été traitée (transmission déjà en cours).")
