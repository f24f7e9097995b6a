from django.db.models import QuerySet

from .identity import PUBLIC_STRUCTURE_COOKIE
from .models import Message, Structure


def published_messages(structure: Structure) -> QuerySet[Message]:
    """Messages shown on a structure's home page, newest first."""
    return Message.objects.filter(structure=structure).published().order_by("-publish_from", "-id")


def public_structure(request):
    """The structure a page is for: the logged-in parent's; before login, the one named by
    ?structure=<slug> (remembered in a cookie), else the last one remembered, else the site's
    only structure; None when the site hosts several and none is named."""
    current = getattr(request, "structure", None)
    if current is not None:
        return current
    if hasattr(request, "_public_structure"):
        return request._public_structure
    slug = request.GET.get("structure") or request.COOKIES.get(PUBLIC_STRUCTURE_COOKIE) or ""
    found = Structure.objects.filter(slug=slug).first() if slug else None
    if found is None:
        only = list(Structure.objects.all()[:2])
        found = only[0] if len(only) == 1 else None
    request._public_structure = found
    return found
