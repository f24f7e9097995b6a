"""The structure's favicon written into the page: {% load identity %}{% favicon_data_url site_structure %}.

An address costs a request per page: in bench.roundtrip (a Playwright context, off the record
as a private window), Chromium's favicon loader fetched icone-32.png again on every full page
despite its day of max-age — with or without Vary, with or without Playwright's routing. The
32 px icon is a few hundred bytes: written in the page as a data: URL, it costs no request.
"""
import base64

from django import template

from portal.identity import icon_png

register = template.Library()

FAVICON_SIZE = 32
_DATA_URLS: dict = {}   # (structure id, logo's date, colour) → data: URL, per process
_KEPT = 64


@register.simple_tag
def favicon_data_url(structure) -> str:
    """The 32 px icon as a data: URL, drawn once per structure, logo and colour."""
    structure = structure or None   # the site's identity: a lazy object that may hold None
    key = (structure.pk, structure.logo_updated_at, structure.primary_colour) if structure is not None else None
    url = _DATA_URLS.get(key)
    if url is None:
        if len(_DATA_URLS) >= _KEPT:
            _DATA_URLS.clear()
        png = icon_png(structure, FAVICON_SIZE)
        url = _DATA_URLS[key] = "data:image/png;base64," + base64.b64encode(png).decode("ascii")
    return url
