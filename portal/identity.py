"""A structure's identity on the portal (issue 11): its colour within contrast rules, its logo,
and the icons a phone puts on its home screen (which structure a page before login is for: selectors).

- A colour is accepted only if white text on it and it on the page's grey both reach 4.5:1
  (WCAG 1.4.3): buttons and links stay readable whatever the town chooses.
- A logo is re-encoded to PNG at upload (PNG, JPEG, WebP or GIF in; at most 512 px and 300 kB),
  which drops metadata and anything that is not an image; SVG is refused (it can hold scripts).
- Icons (favicon, web app manifest) are drawn from the logo on a white square, or the portal's
  "PF" mark in the structure's colour when there is no logo.
"""
from __future__ import annotations

import io
import re
from functools import lru_cache

from django.utils.translation import gettext as _

DEFAULT_COLOUR = "#1d4f91"
PAGE_GREY = "#f6f7f9"
MIN_CONTRAST = 4.5
LOGO_MAX_BYTES = 300 * 1024
LOGO_MAX_SIDE = 512
ICON_SIZES = (32, 180, 192, 512)
PUBLIC_STRUCTURE_COOKIE = "pf_structure"
_HEX = re.compile(r"^#[0-9a-fA-F]{6}$")


def _rgb(colour: str) -> tuple[int, int, int]:
    return int(colour[1:3], 16), int(colour[3:5], 16), int(colour[5:7], 16)


def _luminance(colour: str) -> float:
    def channel(value: int) -> float:
        c = value / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = _rgb(colour)
    return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)


def contrast(first: str, second: str) -> float:
    light, dark = sorted((_luminance(first), _luminance(second)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def colour_problem(colour: str) -> str | None:
    """Why ``colour`` cannot be the structure's colour, in French; None when it can."""
    if not _HEX.match(colour or ""):
        return _("Écrivez la couleur au format #rrvvbb, par exemple #1d4f91.")
    worst = min(contrast(colour, "#ffffff"), contrast(colour, PAGE_GREY))
    if worst < MIN_CONTRAST:
        return _("Cette couleur n'est pas assez foncée : contraste de %(ratio)s:1 avec le blanc ou le gris de la page, "
                 "il faut au moins 4,5:1 pour que les boutons et les liens restent lisibles.") % {
            "ratio": f"{worst:.2f}".replace(".", ",")}
    return None


def darker(colour: str, factor: float = 0.78) -> str:
    r, g, b = (int(channel * factor) for channel in _rgb(colour))
    return f"#{r:02x}{g:02x}{b:02x}"


def colour_of(structure) -> str:
    colour = getattr(structure, "primary_colour", "") or ""
    return colour if colour and colour_problem(colour) is None else DEFAULT_COLOUR


class LogoRefused(ValueError):
    """The file is not an image the portal accepts; the message says why, in French."""


def logo_png(data: bytes) -> bytes:
    """The uploaded logo as a PNG of at most LOGO_MAX_SIDE px, or LogoRefused."""
    from PIL import Image, UnidentifiedImageError

    if len(data) > LOGO_MAX_BYTES:
        raise LogoRefused(_("Le logo dépasse 300 Ko : réduisez-le avant de l'envoyer."))
    try:
        with Image.open(io.BytesIO(data)) as probe:
            if probe.format not in ("PNG", "JPEG", "WEBP", "GIF"):
                raise LogoRefused(_("Le logo doit être une image PNG, JPEG, WebP ou GIF."))
            probe.verify()
        with Image.open(io.BytesIO(data)) as opened:
            image = opened.convert("RGBA")
            image.thumbnail((LOGO_MAX_SIDE, LOGO_MAX_SIDE))
            out = io.BytesIO()
            image.save(out, format="PNG", optimize=True)
            return out.getvalue()
    except (UnidentifiedImageError, OSError, SyntaxError):
        raise LogoRefused(_("Ce fichier n'est pas une image lisible : envoyez le logo en PNG ou JPEG.")) from None


def icon_png(structure, size: int) -> bytes:
    """A square icon of ``size`` px for the structure (None: the portal's own)."""
    logo = bytes(structure.logo) if structure is not None and structure.logo else b""
    stamp = structure.logo_updated_at.isoformat() if structure is not None and structure.logo_updated_at else ""
    return _icon(logo, stamp, colour_of(structure), size)


@lru_cache(maxsize=64)
def _icon(logo: bytes, stamp: str, colour: str, size: int) -> bytes:
    from PIL import Image, ImageDraw, ImageFont

    if logo:
        canvas = Image.new("RGBA", (size, size), (255, 255, 255, 255))
        with Image.open(io.BytesIO(logo)) as opened:
            image = opened.convert("RGBA")
            inner = max(int(size * 0.8), 1)
            image.thumbnail((inner, inner))
            canvas.alpha_composite(image, ((size - image.width) // 2, (size - image.height) // 2))
    else:
        canvas = Image.new("RGBA", (size, size), (*_rgb(colour), 255))
        draw = ImageDraw.Draw(canvas)
        font: ImageFont.FreeTypeFont | ImageFont.ImageFont
        try:
            font = ImageFont.truetype("DejaVuSans-Bold.ttf", int(size * 0.42))
        except OSError:
            font = ImageFont.load_default()
        draw.text((size / 2, size / 2), "PF", fill=(255, 255, 255, 255), font=font, anchor="mm")
    out = io.BytesIO()
    canvas.convert("RGB").save(out, format="PNG", optimize=True)
    return out.getvalue()
