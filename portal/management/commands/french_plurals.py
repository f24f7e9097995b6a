"""manage.py french_plurals — the French catalogue of plural forms (locale/fr, issue 11).

The UI's msgids are French; without a French catalogue, gettext counts them the English way
(n != 1: "0 demandes"). This writes locale/fr/LC_MESSAGES/django.po holding only the plural
messages, each translated to itself (msgen), under French's Plural-Forms (0 and 1 singular),
then compiles it. Messages Django's own French catalogues translate (the English msgids of the
admin templates we override) are left to them. Needs GNU gettext, like makemessages.
"""
import ast
import gettext
import subprocess
from pathlib import Path

import django
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand

PO = Path(settings.BASE_DIR) / "locale" / "fr" / "LC_MESSAGES" / "django.po"


def djangos_french_msgids() -> set[str]:
    root = Path(django.__file__).parent
    msgids: set[str] = set()
    for mo in (root / "conf" / "locale" / "fr" / "LC_MESSAGES" / "django.mo",
               root / "contrib" / "admin" / "locale" / "fr" / "LC_MESSAGES" / "django.mo"):
        if mo.exists():
            with mo.open("rb") as handle:
                catalog = gettext.GNUTranslations(handle)._catalog  # type: ignore[attr-defined]
            msgids.update(key[0] if isinstance(key, tuple) else key for key in catalog)
    return msgids


def _msgid(lines: list[str]) -> str:
    parts, inside = [], False
    for line in lines:
        if line.startswith("msgid "):
            inside, line = True, line[len("msgid "):]
        elif line.startswith("msgid_plural "):
            break
        if inside and line.startswith('"'):
            parts.append(ast.literal_eval(line))
    return "".join(parts)


def plural_blocks_only(text: str, *, djangos: set[str]) -> str:
    header, *blocks = text.strip().split("\n\n")
    kept = []
    for block in blocks:
        lines = block.splitlines()
        if any(line.startswith("msgid_plural ") for line in lines) and _msgid(lines) not in djangos:
            kept.append(block)
    return "\n\n".join([header, *kept]) + "\n"


class Command(BaseCommand):
    help = "Write and compile locale/fr: the plural messages with French plural forms."

    def handle(self, *args, **options):
        PO.unlink(missing_ok=True)
        PO.with_suffix(".mo").unlink(missing_ok=True)
        call_command("makemessages", locale=["fr"], ignore_patterns=[".venv", "staticfiles", "bench", "*/tests/*"],
                     verbosity=0)
        subprocess.run(["msgen", str(PO), "-o", str(PO)], check=True)
        PO.write_text(plural_blocks_only(PO.read_text(encoding="utf-8"), djangos=djangos_french_msgids()),
                      encoding="utf-8")
        call_command("compilemessages", locale=["fr"], ignore_patterns=[".venv"], verbosity=0)
        self.stdout.write(f"{PO.relative_to(settings.BASE_DIR)}: {PO.read_text(encoding='utf-8').count('msgid_plural')} "
                          "plural messages")
