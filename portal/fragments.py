"""Pages that answer htmx with their own part only (#pf-vue), and whole pages otherwise.

A page rendered with ``render_page`` extends ``base_template``: base.html for a browser's
request (no JavaScript, a reload, a bookmark), _fragment.html — its title and #pf-vue, no
header, footer or scripts — when htmx asks (``HX-Request``). htmx's own history restore
(``HX-History-Restore-Request``) wants the whole page, so it gets it. ``Vary: HX-Request``
keeps a browser's or a proxy's cache from serving the fragment as the page, or the reverse.
"""
from django.shortcuts import render
from django.utils.cache import patch_vary_headers

PAGE, FRAGMENT = "base.html", "_fragment.html"


def wants_fragment(request) -> bool:
    """Whether htmx asked for the page's own part (and not for a whole page to restore)."""
    return (request.headers.get("HX-Request") == "true"
            and request.headers.get("HX-History-Restore-Request") != "true")


def render_page(request, template_name: str, context: dict, *, status: int = 200):
    """Render a page whose template starts ``{% extends base_template %}``."""
    response = render(request, template_name, {**context, "base_template": FRAGMENT if wants_fragment(request) else PAGE},
                      status=status)
    patch_vary_headers(response, ["HX-Request"])
    return response
