"""Comparing what people type: without regard to case, accents or extra spaces."""
from __future__ import annotations

import unicodedata


def folded(text: str) -> str:
    """Lower case, accents removed, spaces collapsed: "  Élodie  MARTIN" → "elodie martin"."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    without_accents = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(without_accents.split())
