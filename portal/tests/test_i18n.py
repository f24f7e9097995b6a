"""French by default, English on request: the switcher, the middleware and the committed catalogue.

English texts are read from the catalogue (translation.override) rather than copied here, and each
one is checked to differ from the French, so a page left in French fails.
"""
import datetime
import gettext as stdlib_gettext
import shutil
import subprocess
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.template import engines
from django.templatetags.i18n import BlockTranslateNode, TranslateNode
from django.urls import reverse
from django.utils import translation
from django.utils.html import escape

from accounts.tests.factories import MessageFactory
from reservations.models import TransmissionRun
from reservations.tests.factories import TransmissionRunFactory

ROOT = Path(settings.BASE_DIR)
PO = ROOT / "locale" / "en" / "LC_MESSAGES" / "django.po"
MO = PO.with_suffix(".mo")
REFRESH = ("run `manage.py makemessages -l en --ignore=.venv --ignore=staticfiles --ignore=bench "
           "--ignore='*/tests/*'`, translate the new entries, then `manage.py compilemessages -l en --ignore=.venv` "
           "and commit both locale/en/LC_MESSAGES/django.po and django.mo")


@pytest.fixture(autouse=True)
def _restore_language():
    """Requests activate a language in this thread; later tests must not inherit English."""
    saved = translation.get_language()
    yield
    translation.activate(saved)


def english(msgid, **values):
    """The catalogue's English for a French msgid, HTML-escaped as a template prints it."""
    with translation.override("en"):
        text = translation.gettext(msgid)
    assert text != msgid, f"no English for {msgid!r}"
    return escape(text % values if values else text)


# --- Pages ---------------------------------------------------------------------------------------

LOGIN_TEXTS = ["Connexion", "Se connecter", "Identifiant", "Mot de passe", "Mot de passe oublié ?", "Le retrouver"]


def test_login_page_is_french_without_any_header(client, db):
    content = client.get(reverse("accounts:login")).content.decode()

    assert '<html lang="fr">' in content
    for text in LOGIN_TEXTS:
        assert text in content
        assert english(text) not in content


def test_login_page_is_english_with_accept_language_en(client, db):
    content = client.get(reverse("accounts:login"), headers={"accept-language": "en-GB,en;q=0.9"}).content.decode()

    assert '<html lang="en">' in content
    for text in LOGIN_TEXTS:
        assert english(text) in content
    assert "Se connecter" not in content and "Saisissez l'identifiant" not in content


def test_failed_login_message_is_english_too(client, db):
    response = client.post(reverse("accounts:login"), {"username": "personne", "password": "faux-mot-de-passe"},
                           headers={"accept-language": "en"})

    content = response.content.decode()
    assert english("Identifiant ou mot de passe incorrect. Vérifiez votre saisie (majuscules comprises) ; "
                   "en cas d'oubli, utilisez « Le retrouver ».") in content
    assert "Identifiant ou mot de passe incorrect" not in content


def test_footer_switcher_posts_to_set_language_with_both_languages(client, db):
    content = client.get(reverse("accounts:login")).content.decode()

    assert f'action="{reverse("set_language")}"' in content
    assert '<label for="language-switcher" class="mb-0">Langue</label>' in content
    assert '<select id="language-switcher" name="language"' in content
    assert '<option value="fr" lang="fr" selected>Français</option>' in content
    assert '<option value="en" lang="en">English</option>' in content
    assert f'<input type="hidden" name="next" value="{reverse("accounts:login")}">' in content
    assert ">Changer de langue</button>" in content


def test_choosing_english_in_the_footer_keeps_the_page_and_the_choice(parent_client, family):
    MessageFactory(structure=family.structure, title="Cantine", body="Menu de la semaine.")
    home = reverse("portal:home")

    response = parent_client.post(reverse("set_language"), {"language": "en", "next": home})

    assert response.status_code == 302 and response["Location"] == home
    content = parent_client.get(home).content.decode()
    assert '<html lang="en">' in content
    assert english("Bienvenue sur le portail de %(name)s", name=family.structure.name) in content
    for text in ("Informations de la structure", "Accueil", "Profil", "Se déconnecter", "Langue", "Changer de langue"):
        assert english(text) in content
    assert "Se déconnecter" not in content and "Bienvenue sur le portail" not in content
    assert '<option value="en" lang="en" selected>English</option>' in content
    # User data is never translated.
    assert "Menu de la semaine." in content

    parent_client.post(reverse("set_language"), {"language": "fr", "next": home})
    assert "Bienvenue sur le portail de" in parent_client.get(home).content.decode()


def test_set_language_ignores_an_unknown_language_and_a_foreign_next(client, db):
    response = client.post(reverse("set_language"), {"language": "de", "next": "https://attacker.example/"})

    assert response.status_code == 302 and "attacker.example" not in response["Location"]
    assert "Se connecter" in client.get(reverse("accounts:login")).content.decode()


def test_header_last_update_date_is_worded_in_the_chosen_language(parent_client, family):
    paris = ZoneInfo("Europe/Paris")
    TransmissionRunFactory(structure=family.structure, status=TransmissionRun.Status.FINISHED,
                           finished_at=datetime.datetime(2026, 11, 25, 23, 15, tzinfo=paris))
    home = reverse("portal:home")

    french = parent_client.get(home).content.decode()
    assert "Mise à jour le" in french and "25/11/2026 à 23:15" in french

    parent_client.post(reverse("set_language"), {"language": "en", "next": home})
    content = parent_client.get(home).content.decode()
    assert english("Mise à jour le") in content
    assert english("%(day)s à %(time)s", day="25/11/2026", time="23:15") in content
    assert "25/11/2026 à 23:15" not in content


# --- Catalogue -----------------------------------------------------------------------------------

def _unquote(line):
    return line[line.index('"') + 1:line.rindex('"')].encode("raw_unicode_escape").decode("unicode_escape")


def parse_po(path):
    """Entries of a .po file as dicts: context, msgid, plural, msgstr (list), flags, refs. Obsolete ones skipped."""
    entries, entry, field = [], None, None

    def close():
        if entry is not None and (entry["msgid"] or entry["msgstr"]):
            entries.append(entry)

    for raw in [*path.read_text(encoding="utf-8").splitlines(), ""]:
        line = raw.strip()
        if not line or line.startswith("#~"):
            if not line:
                close()
                entry, field = None, None
            continue
        if entry is None:
            entry = {"context": None, "msgid": "", "plural": None, "msgstr": [], "flags": set(), "refs": []}
        if line.startswith("#,"):
            entry["flags"].update(flag.strip() for flag in line[2:].split(","))
        elif line.startswith("#:"):
            entry["refs"].extend(ref.rsplit(":", 1)[0] for ref in line[2:].split())
        elif line.startswith("#"):
            continue
        elif line.startswith("msgctxt"):
            entry["context"], field = _unquote(line), "context"
        elif line.startswith("msgid_plural"):
            entry["plural"], field = _unquote(line), "plural"
        elif line.startswith("msgid"):
            entry["msgid"], field = _unquote(line), "msgid"
        elif line.startswith("msgstr"):
            entry["msgstr"].append(_unquote(line))
            field = "msgstr"
        elif line.startswith('"'):
            if field == "msgstr":
                entry["msgstr"][-1] += _unquote(line)
            else:
                entry[field] += _unquote(line)
    return [e for e in entries if e["msgid"]]  # the header has an empty msgid


@pytest.fixture(scope="module")
def po_entries():
    assert PO.exists(), f"no English catalogue: {REFRESH}"
    return parse_po(PO)


def test_catalogue_has_no_untranslated_or_fuzzy_entry(po_entries):
    untranslated = [e["msgid"] for e in po_entries if not all(e["msgstr"]) or "fuzzy" in e["flags"]]

    assert len(po_entries) > 300
    assert untranslated == [], REFRESH


def test_committed_mo_is_compiled_from_the_po(po_entries):
    with MO.open("rb") as handle:
        catalog = stdlib_gettext.GNUTranslations(handle)._catalog
    stale = []
    for e in po_entries:
        key = e["msgid"] if e["context"] is None else f"{e['context']}\x04{e['msgid']}"
        if e["plural"] is None:
            compiled = [catalog.get(key)]
        else:
            compiled = [catalog.get((key, n)) for n in range(len(e["msgstr"]))]
        if compiled != e["msgstr"]:
            stale.append(e["msgid"])

    assert stale == [], f"django.mo is older than django.po: {REFRESH}"


@pytest.mark.skipif(shutil.which("msgfmt") is None, reason="gettext's msgfmt is not installed")
def test_catalogue_placeholders_match_the_french(tmp_path):
    result = subprocess.run(["msgfmt", "--check", "--statistics", "-o", str(tmp_path / "check.mo"), str(PO)],
                            capture_output=True, text=True)

    assert result.returncode == 0, result.stderr
    assert "untranslated" not in result.stderr and "fuzzy" not in result.stderr, result.stderr


def _template_messages():
    """(context, msgid, plural) of every {% translate %} and {% blocktranslate %} of our templates."""
    engine = engines["django"].engine
    folders = [ROOT / "templates"] + [ROOT / app / "templates" for app in
                                      ("portal", "accounts", "billing", "reservations", "notifications")]
    found = {}
    for folder in folders:
        for path in sorted(folder.rglob("*")):
            if path.suffix not in (".html", ".txt") or not path.is_file():
                continue
            nodelist = engine.from_string(path.read_text(encoding="utf-8")).nodelist
            for node in nodelist.get_nodes_by_type(TranslateNode):
                literal = node.filter_expression.var.literal
                if isinstance(literal, str) and not node.noop:
                    context = node.message_context.var.literal if node.message_context else None
                    found[(context, literal, None)] = path.relative_to(ROOT)
            for node in nodelist.get_nodes_by_type(BlockTranslateNode):
                singular = node.render_token_list(node.singular)[0]
                plural = node.render_token_list(node.plural)[0] if node.plural else None
                context = node.message_context.var.literal if node.message_context else None
                found[(context, singular, plural)] = path.relative_to(ROOT)
    return found


def test_every_template_string_is_in_the_english_catalogue(po_entries):
    translated = {(e["context"], e["msgid"], e["plural"]) for e in po_entries if all(e["msgstr"])}
    messages = _template_messages()

    missing = {f"{where}: {msgid!r}" for (context, msgid, plural), where in messages.items()
               if (context, msgid, plural) not in translated}

    assert len(messages) > 200  # the walk really found the templates' strings
    assert sorted(missing) == [], REFRESH
