"""French error pages in the site's look, and a Content-Security-Policy that needs no inline code."""
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.template.loader import render_to_string
from django.test import Client, RequestFactory
from django.utils import translation

from accounts.tests.factories import UserFactory

TEMPLATES = Path(settings.BASE_DIR) / "templates"
# E-mails and PDFs are never shown by a browser under the site's CSP: their inline styles stay.
NOT_UNDER_CSP = ("notifications/email/", "pdf/", "billing/pdf/", "reservations/pdf/")
INLINE_CODE = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>|<style\b|\sstyle=\"|\son[a-z]+=", re.IGNORECASE)


@pytest.mark.parametrize("status,heading", [(400, "Requête incorrecte"), (500, "Le service a rencontré une erreur")])
def test_the_400_and_500_pages_need_neither_request_nor_database(status, heading):
    """Django renders them without a request; no `db` fixture here: a query would fail the test."""
    page = render_to_string(f"{status}.html")
    assert heading in page and f"Erreur {status}" in page and 'class="brand-mark"' in page
    assert "Retour à l'accueil" in page


@pytest.mark.parametrize("status,heading", [(403, "Accès refusé"), (404, "Page introuvable"), (429, "Trop de demandes")])
def test_the_other_error_pages_have_the_site_layout(db, status, heading):
    request = RequestFactory().get("/")
    request.user = UserFactory()
    request.families, request.family, request.structure = [], None, None
    page = render_to_string(f"{status}.html", request=request)
    assert heading in page and 'class="site-header' in page and "Changer de langue" in page


def test_error_pages_speak_english_to_an_english_browser(db):
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    page = client.get("/nulle-part/")
    assert page.status_code == 404
    assert "Page not found" in page.content.decode()
    with translation.override("en"):
        assert "Something went wrong" in render_to_string("500.html")


def test_a_real_404_and_400_use_the_pages(db):
    client = Client()
    assert "Page introuvable" in client.get("/nulle-part/").content.decode()
    response = client.generic("POST", "/nulle-part/", b"--x\r\n", content_type="multipart/form-data")
    assert response.status_code == 400 and "Requête incorrecte" in response.content.decode()


def test_every_page_carries_a_csp_without_inline_code_or_eval(db):
    response = Client().get("/compte/connexion/")
    policy = response["Content-Security-Policy"]
    directives = dict(part.strip().split(" ", 1) for part in policy.split(";") if part.strip())
    assert directives["script-src"] == "'self'" and directives["style-src"] == "'self'"
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy
    assert directives["frame-ancestors"] == "'none'" and directives["object-src"] == "'none'"
    assert "Content-Security-Policy" in Client().get("/nulle-part/")


def test_no_template_a_browser_shows_has_inline_script_style_or_handler():
    offenders = []
    for path in sorted(TEMPLATES.rglob("*.html")) + sorted(Path(settings.BASE_DIR).glob("*/templates/**/*.html")):
        relative = path.relative_to(TEMPLATES) if TEMPLATES in path.parents else path
        if str(relative).startswith(NOT_UNDER_CSP) or "/pdf/" in str(relative):
            continue
        offenders += [f"{relative}: {match.group(0)}" for match in INLINE_CODE.finditer(path.read_text(encoding="utf-8"))]
    assert offenders == []
