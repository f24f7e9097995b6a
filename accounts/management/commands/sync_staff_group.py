"""`python manage.py sync_staff_group`: (re)build the « Personnel des structures » group.

Safe to run any time (after each migration, from seed_demo): the group ends up with
add/change/view on every model of our apps, delete only where nothing is lost.
"""
from django.core.management.base import BaseCommand

from accounts.services import staff_group_sync


class Command(BaseCommand):
    help = "Crée ou met à jour le groupe « Personnel des structures » et ses permissions."

    def handle(self, *args, **options):
        group = staff_group_sync()
        self.stdout.write(f"  groupe « {group.name} » : {group.permissions.count()} permissions")
