"""Load the demo data: `python manage.py seed_demo`. Running it twice changes nothing.

Each app contributes a `demo.py` module with a `seed(stdout)` function; they run in
INSTALLED_APPS order (bottom layer first), so portal never imports the apps above it.
"""
from importlib import import_module
from importlib.util import find_spec

from django.apps import apps
from django.core.management.base import BaseCommand
from django.db import transaction


class Command(BaseCommand):
    help = "Crée (ou complète) les données de démonstration ; sans effet si elles existent déjà."

    def handle(self, *args, **options):
        with transaction.atomic():
            for app_config in apps.get_app_configs():
                module_name = f"{app_config.name}.demo"
                if find_spec(module_name) is None:
                    continue
                import_module(module_name).seed(stdout=self.stdout)
        self.stdout.write(self.style.SUCCESS("Données de démonstration prêtes."))
