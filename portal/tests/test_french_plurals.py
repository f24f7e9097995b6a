"""French counts 0 and 1 as singular ("0 demande", "1 demande", "2 demandes"): the UI's msgids are
French, and without a French catalogue gettext falls back to the English rule (n != 1) and writes
"0 demandes". locale/fr holds the French catalogue (identity translations, French Plural-Forms)."""
import gettext as stdlib_gettext
from pathlib import Path

from django.conf import settings
from django.template import Context, Template
from django.utils import translation

LOCALE = Path(settings.BASE_DIR) / "locale"
REFRESH = ("run `manage.py makemessages -l fr --ignore=.venv --ignore=staticfiles --ignore=bench --ignore='*/tests/*'`, "
           "then `msgen locale/fr/LC_MESSAGES/django.po -o locale/fr/LC_MESSAGES/django.po` and "
           "`manage.py compilemessages -l fr --ignore=.venv`; commit locale/fr (README, English)")


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
    missing = _plural_msgids("en") - _plural_msgids("fr")
    assert not missing, f"{len(missing)} plural message(s) without French forms, e.g. {sorted(missing)[:3]}: {REFRESH}"
