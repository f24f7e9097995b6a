"""Demo structures and their home-page messages."""
import datetime

from django.utils import timezone

from .models import Message, Structure

CARTEVILLE = "carteville"
CAMBIANES = "cambianes"


def seed(*, stdout) -> None:
    carteville, _ = Structure.objects.update_or_create(
        slug=CARTEVILLE,
        defaults={
            "name": "Mairie de CarteVille",
            "contact_email": "enfance@carteville.example.org",
            "contact_phone": "05 56 00 00 00",
            "address": "1 place de la Mairie, 33000 CarteVille",
        },
    )
    cambianes, _ = Structure.objects.update_or_create(
        slug=CAMBIANES,
        defaults={
            "name": "Association Les Cambianes",
            "contact_email": "accueil@cambianes.example.org",
            "contact_phone": "05 56 11 11 11",
        },
    )
    # Fixed publication dates (not "now") keep a second run from changing anything.
    start = datetime.datetime(2026, 9, 1, 8, 0, tzinfo=timezone.get_default_timezone())
    messages = [
        (carteville, "Inscriptions aux vacances de Noël",
         "Les réservations pour l'accueil de loisirs des vacances de Noël sont ouvertes jusqu'à 15 jours avant le premier jour.",
         start + datetime.timedelta(days=60)),
        (carteville, "Rentrée scolaire",
         "Pensez à vérifier vos réservations de restauration scolaire et de garderie pour la rentrée.",
         start),
        (cambianes, "Bienvenue aux Cambianes",
         "Le centre de loisirs accueille vos enfants de 3 à 12 ans tous les mercredis et pendant les vacances.",
         start + datetime.timedelta(days=10)),
    ]
    for structure, title, body, publish_from in messages:
        Message.objects.update_or_create(
            structure=structure, title=title, defaults={"body": body, "publish_from": publish_from}
        )
    stdout.write("  structures : Mairie de CarteVille, Association Les Cambianes")
