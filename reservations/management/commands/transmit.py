"""python manage.py transmit [--structure SLUG] [--dry-run] [--fan-out serial|chunks]: the
nightly transmission by hand.

``serial`` (the default) runs each structure's night in this process. ``chunks`` hands the
night to the Celery workers as beat does with TRANSMISSION_FAN_OUT="chunks" — cut into
chunks of TRANSMISSION_CHUNK_SIZE days shared by every worker — and waits for it to finish;
without a broker the chunks run here one after the other (same end state).
"""
import time

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from portal.models import Structure
from reservations.models import TransmissionRun
from reservations.nightly.figures import LABELS
from reservations.nightly.run import TransmissionBusy, transmission_run
from reservations.nightly.settle import PER_TRANSACTION
from reservations.nightly.tasks import chunked_night_queue

# How often the command looks whether the workers are done: a tenth of a second is nothing to the
# database (one row read) and keeps the command from outwaiting the night (it measured 0.5 s).
POLL_SECONDS = 0.1


class Command(BaseCommand):
    help = "Transmet les demandes de réservation (comme la nuit) : une structure ou toutes."

    def add_arguments(self, parser):
        parser.add_argument("--structure", metavar="SLUG", help="Seulement cette structure (slug).")
        parser.add_argument("--dry-run", action="store_true", help="Tout calculer puis tout annuler : rien n'est écrit.")
        parser.add_argument("--per-transaction", type=int, default=PER_TRANSACTION, metavar="N",
                            help=f"Journées traitées par transaction (défaut {PER_TRANSACTION}).")
        parser.add_argument("--fan-out", choices=("serial", "chunks"), default="serial",
                            help="serial : toute la nuit dans ce processus (défaut) ; chunks : la nuit découpée en lots "
                                 "partagés par les workers Celery, la commande attend la fin.")
        parser.add_argument("--wait", type=int, default=3600, metavar="SECONDES",
                            help="Avec --fan-out chunks : attente maximale de la fin de chaque nuit (défaut 3600).")

    def handle(self, *args, structure=None, dry_run=False, per_transaction=PER_TRANSACTION, fan_out="serial",
               wait=3600, verbosity=1, **options):
        if per_transaction < 1:
            raise CommandError("--per-transaction doit être au moins 1.")
        if fan_out == "chunks" and dry_run:
            raise CommandError("--dry-run ne se combine pas avec --fan-out chunks : les workers écrivent ce qu'ils font.")
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

            if fan_out == "chunks":
                run = self._chunked(current, wait=wait, verbosity=verbosity)
                if run is None or run.status != TransmissionRun.Status.FINISHED:
                    if run is not None:
                        self.stderr.write(f"  La transmission n° {run.pk} a échoué : voir l'admin.")
                    failed = True
                    continue
            else:
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
            raise CommandError("Au moins une structure n'a pas été traitée jusqu'au bout.")

    def _chunked(self, structure, *, wait: int, verbosity: int) -> TransmissionRun | None:
        """Queue the structure's chunked night and follow its run until it is no longer running
        (None: another run of the structure is going on)."""
        try:
            run = chunked_night_queue(structure=structure)
        except TransmissionBusy as exc:
            self.stderr.write(f"  {exc}")
            return None
        if verbosity:
            self.stdout.write(f"  {len(run.chunks)} lot(s) confiés aux workers (transmission n° {run.pk})")
        deadline = time.monotonic() + wait
        reported = None
        while True:
            run.refresh_from_db()
            if run.status != TransmissionRun.Status.RUNNING:
                return run
            progress = (len(run.chunks_done), len(run.report_ranges_done), len(run.report_ranges))
            if verbosity and progress != reported:
                reported = progress
                line = f"  … {progress[0]}/{len(run.chunks)} lots traités"
                if progress[2]:
                    line += f", {progress[1]}/{progress[2]} tranches de comptes rendus écrites"
                self.stdout.write(line)
                self.stdout.flush()
            if time.monotonic() > deadline:
                raise CommandError(f"La transmission n° {run.pk} tourne encore après {wait} s : voir l'admin ; "
                                   "le chien de garde la terminera si un worker est mort.")
            time.sleep(POLL_SECONDS)
