"""The structure's identity and legal pages (issue 11): its stylesheet of colours, logo, icons,
web app manifest and favicon, and the three pages a French public site must have. None needs
a login: the login page wears them too."""
from __future__ import annotations

from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_safe

from .identity import DEFAULT_COLOUR, ICON_SIZES, PAGE_GREY, colour_of, darker, icon_png
from .models import LegalPage, Structure
from .selectors import public_structure

PORTAL = "portail"    # the slug of the portal's own identity (no structure named)
ONE_DAY = 24 * 3600


def _structure_or_none(slug: str):
    if slug == PORTAL:
        return None
    return get_object_or_404(Structure, slug=slug)


@require_safe
@cache_control(public=True, max_age=ONE_DAY)
def theme_css(request, slug):
    """Buttons, links and the brand mark in the structure's colour (an accepted one: see identity)."""
    colour = colour_of(_structure_or_none(slug))
    hover = darker(colour)
    r, g, b = (int(colour[i:i + 2], 16) for i in (1, 3, 5))
    css = (
        f":root {{ --pf-primary: {colour}; --bs-primary: {colour}; --bs-primary-rgb: {r}, {g}, {b};"
        f" --bs-link-color: {colour}; --bs-link-color-rgb: {r}, {g}, {b}; --bs-link-hover-color: {hover}; }}\n"
        f".btn-primary {{ --bs-btn-bg: {colour}; --bs-btn-border-color: {colour}; --bs-btn-hover-bg: {hover};"
        f" --bs-btn-hover-border-color: {hover}; --bs-btn-active-bg: {hover}; --bs-btn-active-border-color: {hover}; }}\n"
        f".btn-outline-primary {{ --bs-btn-color: {colour}; --bs-btn-border-color: {colour}; --bs-btn-hover-bg: {colour};"
        f" --bs-btn-hover-border-color: {colour}; --bs-btn-active-bg: {hover}; --bs-btn-active-border-color: {hover}; }}\n"
        f".brand-mark {{ background: {colour}; }}\n"
    )
    return HttpResponse(css, content_type="text/css; charset=utf-8")


@require_safe
@cache_control(public=True, max_age=ONE_DAY)
def logo(request, slug):
    structure = _structure_or_none(slug)
    if structure is None or not structure.logo:
        raise Http404(_("Cette structure n'a pas de logo."))
    return HttpResponse(bytes(structure.logo), content_type="image/png")


@require_safe
@cache_control(public=True, max_age=ONE_DAY)
def icon(request, slug, size):
    if size not in ICON_SIZES:
        raise Http404(_("Taille d'icône inconnue."))
    return HttpResponse(icon_png(_structure_or_none(slug), size), content_type="image/png")


@require_safe
def favicon(request):
    structure = public_structure(request)
    return redirect(reverse("portal:icon", args=[structure.slug if structure else PORTAL, 32]), permanent=False)


@require_safe
@cache_control(public=True, max_age=3600)
def manifest(request, slug):
    """The web app manifest: "add to home screen" gives the portal its own name and icon. No
    offline booking: the server is the truth (no service worker)."""
    structure = _structure_or_none(slug)
    name = structure.name if structure else _("Portail Famille")
    icons = [{"src": reverse("portal:icon", args=[slug, size]), "sizes": f"{size}x{size}", "type": "image/png",
              "purpose": "any"} for size in (192, 512)]
    data = {
        "name": name, "short_name": name[:24], "lang": "fr", "start_url": "/", "scope": "/", "display": "standalone",
        "background_color": PAGE_GREY, "theme_color": colour_of(structure) if structure else DEFAULT_COLOUR,
        "icons": icons,
    }
    response = JsonResponse(data, json_dumps_params={"ensure_ascii": False})
    response["Content-Type"] = "application/manifest+json"
    return response


@require_safe
def legal_page(request, kind):
    """Mentions légales, données personnelles, déclaration d'accessibilité: the structure's own
    text when it wrote one in the admin, else the default filled with its name and contacts."""
    if kind not in LegalPage.Kind.values:
        raise Http404(_("Page inconnue."))
    structure = public_structure(request)
    written = LegalPage.objects.filter(structure=structure, kind=kind).first() if structure else None
    return render(request, "portal/legal_page.html", {
        "kind": kind, "title": LegalPage.Kind(kind).label, "structure": structure, "page": written,
        "default_template": f"portal/legal/{kind}.html",
    })
