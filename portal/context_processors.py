from django.utils.functional import SimpleLazyObject

from .identity import colour_of
from .selectors import public_structure


def identity(request):
    """The structure whose name, colours, logo and contacts the page wears (portal.identity);
    read only by the pages that show it (one query before login, none after)."""
    structure = SimpleLazyObject(lambda: public_structure(request))

    def colour():
        found = public_structure(request)
        return colour_of(found) if found is not None and found.primary_colour else ""

    return {"site_structure": structure, "site_colour": SimpleLazyObject(colour)}
