from django.db.models import QuerySet

from .models import Message, Structure


def published_messages(structure: Structure) -> QuerySet[Message]:
    """Messages shown on a structure's home page, newest first."""
    return Message.objects.filter(structure=structure).published().order_by("-publish_from", "-id")
