"""python manage.py transmit [--structure SLUG] [--dry-run]: the nightly transmission by hand."""
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from portal.models import Structure
from reservations.nightly.run import COUNT_KEYS, TransmissionBusy, transmission_run
from reservations.nightly.settle import PER_TRANSACTION

LABELS = {
    "occurrences": "journées traitées", "cancelled": "annulations appliquées", "accepted": "acceptées",
    "awaiting_decision": "en attente de traitement", "waiting_list": "mises en liste d'attente", "refused": "refusées",
    "promoted": "places attribuées depuis la liste d'attente", "consumptions_posted": "consommations passées",
    "consumptions_not_charged": "absences non facturées",
    "consumptions_errors": "consommations en erreur (voir les journaux)", "emails_queued": "e-mails mis en file",
    "emails_no_address": "familles sans adresse e-mail",
}


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
            counts = run.counts
            keys = list(COUNT_KEYS) + [key for key in LABELS if key not in COUNT_KEYS]
            summary = ", ".join(f"{counts.get(key, 0)} {LABELS[key]}" for key in keys)
            self.stdout.write(self.style.SUCCESS(f"  Terminé : {summary}."))
        if failed:
            raise CommandError("Au moins une structure n'a pas été traitée (transmission déjà en cours).")
