"""A structure's identity (issue 11): colour within contrast rules, logo, icons, manifest,
favicon, the login page and the footer; the legal pages with their defaults."""
import base64
import io
import json
import re
import time

import pytest
import time_machine
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from accounts.tests.factories import TEST_PASSWORD, StructureFactory, UserFactory
from portal.identity import LogoRefused, colour_problem, contrast, logo_png
from portal.models import LegalPage

pytestmark = pytest.mark.django_db


def png(width=300, height=120, colour=(200, 30, 60)):
    out = io.BytesIO()
    Image.new("RGB", (width, height), colour).save(out, format="PNG")
    return out.getvalue()


def test_a_colour_must_keep_buttons_and_links_readable():
    assert contrast("#ffffff", "#000000") == pytest.approx(21)
    assert colour_problem("#1d4f91") is None
    assert colour_problem("#0b6e4f") is None
    light = colour_problem("#ffbf47")
    assert light and "pas assez foncée" in light and "4,5:1" in light
    assert "format" in colour_problem("bleu")
    structure = StructureFactory(primary_colour="#7fb3ff")
    with pytest.raises(ValidationError) as refused:
        structure.full_clean()
    assert "primary_colour" in refused.value.message_dict


def test_a_logo_is_re_encoded_to_a_small_png_and_anything_else_is_refused():
    image = Image.open(io.BytesIO(logo_png(png(1200, 600))))
    assert image.format == "PNG" and max(image.size) == 512
    with pytest.raises(LogoRefused, match="PNG"):
        logo_png(b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>')
    with pytest.raises(LogoRefused, match="300 Ko"):
        logo_png(b"x" * (301 * 1024))


@pytest.fixture
def admin_client(client):
    user = UserFactory(username="admin", is_staff=True, is_superuser=True)
    assert client.login(username=user.username, password=TEST_PASSWORD)
    return client


def change_form(structure, **changes):
    data = {"name": structure.name, "slug": structure.slug, "contact_email": "accueil@carteville.fr",
            "contact_phone": "04 00 00 00 00", "address": "1 place de la Mairie\n00000 CarteVille",
            "history_months": 2, "primary_colour": "#0b6e4f", "website": "", "opening_hours": "lundi-vendredi 8h30-17h",
            "messages-TOTAL_FORMS": 0, "messages-INITIAL_FORMS": 0, "legal_pages-TOTAL_FORMS": 0,
            "legal_pages-INITIAL_FORMS": 0}
    data.update(changes)
    return data


def test_staff_set_logo_colour_contacts_and_a_legal_page_in_the_admin(admin_client, client):
    structure = StructureFactory(name="Mairie de CarteVille", slug="carteville")
    url = reverse("admin:portal_structure_change", args=[structure.pk])
    refused = admin_client.post(url, change_form(structure, primary_colour="#ffd8a8"))
    assert refused.status_code == 200 and "pas assez foncée" in refused.content.decode()
    bad_logo = admin_client.post(url, change_form(structure, logo_file=SimpleUploadedFile("logo.svg", b"<svg/>")))
    assert "envoyez le logo en PNG" in bad_logo.content.decode()
    response = admin_client.post(url, change_form(
        structure, logo_file=SimpleUploadedFile("logo.png", png()),
        **{"legal_pages-TOTAL_FORMS": 1, "legal_pages-0-kind": "accessibilite",
           "legal_pages-0-body": "Audit du 3 mars.\n\nContact : accessibilite@carteville.fr",
           "legal_pages-0-compliance": "totale"}))
    assert response.status_code == 302, response.content.decode()[:2000]
    structure.refresh_from_db()
    assert structure.primary_colour == "#0b6e4f" and Image.open(io.BytesIO(bytes(structure.logo))).format == "PNG"
    assert LegalPage.objects.get(structure=structure).compliance == "totale"

    # Before login, the page for that structure wears its identity.
    client.logout()
    login = client.get(reverse("accounts:login"), {"structure": "carteville"})
    body = login.content.decode()
    assert "Portail Famille de Mairie de CarteVille" in body and "1 place de la Mairie<br>00000 CarteVille" in body
    assert 'alt="Logo de Mairie de CarteVille"' in body and reverse("portal:logo", args=["carteville"]) in body
    assert reverse("portal:theme", args=["carteville"]) + "?v=0b6e4f" in body
    assert login.cookies["pf_structure"].value == "carteville"
    assert client.get(reverse("portal:logo", args=["carteville"]))["Content-Type"] == "image/png"
    css = client.get(reverse("portal:theme", args=["carteville"])).content.decode()
    assert "--bs-primary: #0b6e4f" in css and ".btn-primary" in css
    # The cookie remembers it; the written declaration is shown with its compliance state.
    page = client.get(reverse("portal:accessibility")).content.decode()
    assert "Déclaration d&#x27;accessibilité — Mairie de CarteVille" in page or "Déclaration d'accessibilité — Mairie" in page
    assert "totalement conforme" in page and "<p>Audit du 3 mars.</p>" in page


def test_legal_pages_have_defaults_with_the_structures_contacts_linked_from_every_page(parent_client, family):
    family.structure.contact_email, family.structure.address = "accueil@ville.fr", "2 rue de l'École"
    family.structure.save()
    home = parent_client.get(reverse("portal:home")).content.decode()
    for name in ("portal:legal_notice", "portal:personal_data", "portal:accessibility"):
        assert f'href="{reverse(name)}"' in home
    data = parent_client.get(reverse("portal:personal_data")).content.decode()
    assert "Ce qui est conservé" in data and "Pendant combien de temps" in data and "accueil@ville.fr" in data
    assert "CNIL" in data
    notice = parent_client.get(reverse("portal:legal_notice")).content.decode()
    assert family.structure.name in notice and "AGPL" in notice
    accessibility = parent_client.get(reverse("portal:accessibility")).content.decode()
    assert "partiellement conforme" in accessibility and "Défenseur des droits" in accessibility


def test_the_manifest_and_icons_make_the_portal_installable(client):
    structure = StructureFactory(name="Association Les Cambianes", slug="cambianes", primary_colour="#6b2c91")
    manifest = client.get(reverse("portal:manifest", args=["cambianes"]))
    assert manifest["Content-Type"] == "application/manifest+json"
    data = json.loads(manifest.content)
    assert data["name"] == "Association Les Cambianes" and data["display"] == "standalone" and data["start_url"] == "/"
    assert data["theme_color"] == "#6b2c91"
    for icon in data["icons"]:
        image = Image.open(io.BytesIO(client.get(icon["src"]).content))
        assert f"{image.width}x{image.height}" == icon["sizes"]
    # With a logo, the icon is the logo on white.
    structure.logo = logo_png(png(colour=(250, 0, 0)))
    structure.save()
    with_logo = Image.open(io.BytesIO(client.get(reverse("portal:icon", args=["cambianes", 192])).content)).convert("RGB")
    assert with_logo.getpixel((96, 96)) == (250, 0, 0) and with_logo.getpixel((2, 2)) == (255, 255, 255)
    assert client.get(reverse("portal:icon", args=["cambianes", 77])).status_code == 404
    assert client.get(reverse("portal:manifest", args=["inconnue"])).status_code == 404
    # The site's only structure gives the favicon and the login page their identity.
    favicon = client.get("/favicon.ico")
    assert favicon.status_code == 302 and favicon["Location"] == reverse("portal:icon", args=["cambianes", 32])
    login = client.get(reverse("accounts:login")).content.decode()
    assert 'rel="manifest" href="/identite/cambianes/manifest.webmanifest"' in login
    assert "Portail Famille de Association Les Cambianes" in login


def test_the_identity_is_cached_by_the_browser_even_for_a_logged_in_parent(parent_client, family):
    """The icon, theme and manifest are the same for everyone: they neither read the session (no
    Vary: Cookie) nor set its cookie, even once the session is due for its refresh; a page still
    refreshes it. The favicon is written into each page, so that no page costs its request."""
    slug = family.structure.slug
    with time_machine.travel(time.time() + settings.SESSION_REFRESH_SECONDS + 1, tick=False):   # refresh due
        for url in (reverse("portal:icon", args=[slug, 32]), reverse("portal:theme", args=[slug]),
                    reverse("portal:manifest", args=[slug])):
            response = parent_client.get(url)
            assert response.status_code == 200
            assert "public" in response["Cache-Control"] and "max-age=" in response["Cache-Control"]
            assert "cookie" not in response.get("Vary", "").lower(), url
            assert settings.SESSION_COOKIE_NAME not in response.cookies, url
        page = parent_client.get(reverse("portal:home"))
    assert page.status_code == 200 and "Cookie" in page["Vary"]
    assert settings.SESSION_COOKIE_NAME in page.cookies   # the page refreshed the session
    # The favicon is written into the page (Chromium fetched its address again on every page): the same PNG.
    written = re.search(r'<link rel="icon" type="image/png" sizes="32x32" href="data:image/png;base64,([^"]+)">',
                        page.content.decode())
    assert written, "no favicon written into the page"
    assert base64.b64decode(written.group(1)) == parent_client.get(reverse("portal:icon", args=[slug, 32])).content
