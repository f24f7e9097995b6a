"""French counts 0 and 1 as singular ("0 demande", "1 demande", "2 demandes"): the UI's msgids are
French, and without a French catalogue gettext falls back to the English rule (n != 1) and writes
"0 demandes". locale/fr holds the French catalogue (identity translations, French Plural-Forms)."""
import gettext as stdlib_gettext
from pathlib import Path

from django.conf import settings
from django.template import Context, Template
from django.utils import translation

LOCALE = Path(settings.BASE_DIR) / "locale"
REFRESH = "run `manage.py french_plurals` and commit locale/fr (README, English)"


def _plural_msgids(language):
    with (LOCALE / language / "LC_MESSAGES" / "django.mo").open("rb") as mo:
        catalog = stdlib_gettext.GNUTranslations(mo)._catalog
    return {key[0] for key in catalog if isinstance(key, tuple)}


def test_zero_and_one_are_singular_in_french_and_two_is_plural():
    template = Template("{% load i18n %}{% blocktranslate trimmed count counter=n %}{{ counter }} demande"
                        "{% plural %}{{ counter }} demandes{% endblocktranslate %}")
    with translation.override("fr"):
        assert [template.render(Context({"n": n})) for n in (0, 1, 2)] == ["0 demande", "1 demande", "2 demandes"]
        assert translation.ngettext("%(counter)s jour ajouté au panier", "%(counter)s jours ajoutés au panier", 0) \
            == "%(counter)s jour ajouté au panier"
    with translation.override("en"):
        assert template.render(Context({"n": 0})) == "0 requests"


def test_every_plural_message_has_its_french_forms():
    from portal.management.commands.french_plurals import djangos_french_msgids

    # Django's English msgids of the admin's templates are Django's French catalogue's business.
    missing = _plural_msgids("en") - _plural_msgids("fr") - djangos_french_msgids()
    assert not missing, f"{len(missing)} plural message(s) without French forms, e.g. {sorted(missing)[:3]}: {REFRESH}"


def test_the_french_catalogue_never_puts_english_on_a_french_page(client, db):
    """Only plural messages are in it: Django's English msgids (the admin's login page…) keep
    Django's French translation."""
    with translation.override("fr"):
        assert translation.gettext("Log in") == "Connexion"
    assert 'value="Connexion"' in client.get("/admin/login/").content.decode()


def test_no_message_hedges_its_plural_with_parentheses():
    """ "2 ligne(s)" is what a portal writes when it forgot ngettext: a count gets ngettext, and a
    label that a count follows ("rejetées : 3") needs none."""
    with (LOCALE / "en" / "LC_MESSAGES" / "django.mo").open("rb") as mo:
        catalog = stdlib_gettext.GNUTranslations(mo)._catalog
    hedged = sorted(key[0] if isinstance(key, tuple) else key for key in catalog
                    if "(s)" in (key[0] if isinstance(key, tuple) else key))
    assert not hedged, f"messages with '(s)': {hedged[:5]}"
