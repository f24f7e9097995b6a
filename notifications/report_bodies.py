"""The text and HTML bodies of the night's report, built in Python, word for word.

The night writes one report per family with movements, thousands of them: the template
engine spent most of the writing time on the frame around the rows (the loops over the
summary's parts and lines, a dozen ``{% translate %}`` per report). Here the frame's words
are looked up once per run and language (``Phrases``) and each report is a concatenation.

templates/notifications/email/report.txt and report.html are kept **only as the reference**
of these bodies: notifications/tests/test_report_bodies.py renders both ways for many report
shapes (both languages, with and without contact phone, e-mail, multi-line address, empty
civility, HTML-special characters, all three parts, promoted lines, reasons, costs) and
requires the same characters. Change a word there and here together. The HTML is escaped as
the template's autoescape did: values (names, counts' lines, headings, contact) with
``html.escape`` — what Django's ``escape`` calls —, the translated phrases of
``{% translate %}`` not at all, and the address as ``linebreaksbr`` (newlines normalised,
escaped, then ``<br>``).
"""
from __future__ import annotations

from collections.abc import Sequence
from html import escape
from typing import Protocol

from django.utils import translation
from django.utils.text import normalize_newlines
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from reservations.models import Reservation

State = Reservation.State


def _count_texts() -> dict:
    """The summary's count lines (seed wording), by what they count; ngettext when called."""
    return {
        "received": lambda n: ngettext("%(n)s mouvement sur vos demandes de réservations a été reçu, dont :",
                                       "%(n)s mouvements sur vos demandes de réservations ont été reçus, dont :", n),
        "new_requests": lambda n: ngettext("%(n)s nouvelle demande de réservation",
                                           "%(n)s nouvelles demandes de réservation", n),
        "cancel_requests": lambda n: ngettext("%(n)s demande d'annulation", "%(n)s demandes d'annulation", n),
        "promoted": lambda n: ngettext("%(n)s place en liste d'attente vous a été attribuée",
                                       "%(n)s places en liste d'attente vous ont été attribuées", n),
        State.ACCEPTED: lambda n: ngettext("%(n)s réservation a été acceptée", "%(n)s réservations ont été acceptées", n),
        State.AWAITING_DECISION: lambda n: ngettext(
            "%(n)s réservation est en attente de traitement par nos services",
            "%(n)s réservations sont en attente de traitement par nos services", n),
        State.WAITING_LIST: lambda n: ngettext("%(n)s réservation a été mise en liste d'attente",
                                               "%(n)s réservations ont été mises en liste d'attente", n),
        State.CANCELLED: lambda n: ngettext("%(n)s réservation a été annulée", "%(n)s réservations ont été annulées", n),
        State.REFUSED: lambda n: ngettext("%(n)s réservation a été refusée", "%(n)s réservations ont été refusées", n),
    }


class StructureContact(Protocol):
    name: str
    contact_email: str
    contact_phone: str
    address: str


class Phrases:
    """The constant parts of a run's reports in one language: everything but the greeting,
    the summary and the detail. Built under ``translation.override(language)``."""

    def __init__(self, *, structure: StructureContact, language: str | None, link: str):
        self._counts: dict[tuple[str, int], str] = {}
        with translation.override(language):
            self.language = translation.get_language()
            self._count_texts = _count_texts()
            self.headings = {"earlier": _("Suite de vos demandes précédentes :"),
                             "staff": _("Décisions de nos services sur vos demandes en attente :")}
            self.titles = {"received": _("Demandes reçues"), "earlier": _("Suite de vos demandes précédentes"),
                           "staff": _("Décisions de nos services")}
            name = structure.name
            intro = _("Veuillez trouver ci-dessous un compte rendu des modifications apportées à vos demandes de "
                      "réservation sur la structure : %(structure)s.")
            question = _("Pour toute question : %(structure)s")
            followup = _("Vous pouvez consulter l'état de vos réservations sur notre site Internet :")
            detail = _("Détail :")
            title = _("Compte rendu de vos demandes de réservation — %(structure)s")
            phone_label, email_label = _("Téléphone :"), _("E-mail :")
            columns = [_("Date"), _("Enfant"), _("Activité"), _("Résultat"), _("Coût")]
        phone, email, address = structure.contact_phone, structure.contact_email, structure.address
        has_contact = bool(email or phone or address)

        # report.txt (autoescape off: nothing escaped)
        self.text_intro = "\n\n" + intro % {"structure": name} + "\n"
        self.text_detail = "\n" + detail + "\n"
        tail = "\n" + followup + " " + link + "\n"
        if has_contact:
            tail += "\n" + question % {"structure": name} + "\n"
            if phone:
                tail += phone_label + " " + phone + "\n"
            if email:
                tail += email_label + " " + email + "\n"
            if address:
                tail += address + "\n"
        self.text_tail = tail + "\n"

        # report.html
        quoted = escape(name)
        self.html_head = (
            "<!DOCTYPE html>\n"
            f'<html lang="{escape(self.language or "fr")}">\n'
            f'<head><meta charset="utf-8"><title>{title % {"structure": quoted}}</title></head>\n'
            '<body style="font-family: Arial, Helvetica, sans-serif; color: #212529; line-height: 1.5;">\n'
            "  <p>")
        self.html_intro = "</p>\n  <p>" + intro % {"structure": quoted} + "</p>\n  "
        aligns = ["left"] * 4 + ["right"]
        header = "".join(f'        <th scope="col" style="text-align: {align};">{column}</th>\n'
                         for column, align in zip(columns, aligns, strict=True))
        self.html_table_open = (
            '\n  <table style="border-collapse: collapse; margin-bottom: 1em;" cellpadding="6">\n'
            '    <caption style="text-align: left; font-weight: bold;">')
        self.html_table_head = (
            "</caption>\n    <thead>\n      <tr style=\"background: #e9ecef;\">\n" + header
            + "      </tr>\n    </thead>\n    <tbody>\n      ")
        self.html_table_close = "\n    </tbody>\n  </table>\n  "
        url = escape(link)
        tail = f'\n  <p>{followup} <a href="{url}">{url}</a></p>\n  '
        if has_contact:
            tail += '\n  <p style="color: #495057;">' + question % {"structure": quoted}
            if phone:
                tail += "<br>" + phone_label + " " + escape(phone)
            if email:
                quoted_email = escape(email)
                tail += "<br>" + email_label + f' <a href="mailto:{quoted_email}">{quoted_email}</a>'
            if address:
                tail += "<br>" + escape(normalize_newlines(address)).replace("\n", "<br>")
            tail += "</p>\n  "
        self.html_tail = tail + "\n</body>\n</html>\n"

    def count(self, key: str, n: int) -> str:
        """'3 réservations ont été acceptées': translated once per count and kind of line."""
        try:
            return self._counts[key, n]
        except KeyError:
            with translation.override(self.language):
                text = self._counts[key, n] = self._count_texts[key](n) % {"n": n}
            return text


def body_text(phrases: Phrases, *, greeting: str, summary: Sequence[dict], detail: Sequence[tuple[str, str, str]]) -> str:
    """report.txt: ``summary`` as Report.summary() gives it, ``detail`` as (part, rows_text, rows_html)."""
    out = [greeting, phrases.text_intro]
    for part in summary:
        out.append("\n")
        if part["heading"]:
            out.append(part["heading"] + "\n")
        for line in part["lines"]:
            out.append("- " + line["text"] + "\n")
            for sub in line["sub"]:
                out.append("  * " + sub + "\n")
    if detail:
        out.append(phrases.text_detail)
        titles = phrases.titles
        for name, rows, _html in detail:
            out.append("\n" + titles[name] + "\n" + rows)
    out.append(phrases.text_tail)
    return "".join(out)


def body_html(phrases: Phrases, *, greeting: str, summary: Sequence[dict], detail: Sequence[tuple[str, str, str]]) -> str:
    """report.html, from the same pieces as body_text."""
    out = [phrases.html_head, escape(greeting), phrases.html_intro]
    for part in summary:
        out.append("\n  ")
        if part["heading"]:
            out.append('<p style="margin-bottom: 0;"><strong>' + escape(part["heading"]) + "</strong></p>")
        out.append("\n  <ul>\n    ")
        for line in part["lines"]:
            out.append("<li>" + escape(line["text"]))
            if line["sub"]:
                out.append("\n      <ul>" + "".join("<li>" + escape(sub) + "</li>" for sub in line["sub"]) + "</ul>")
            out.append("</li>\n    ")
        out.append("\n  </ul>\n  ")
    out.append("\n  ")
    titles = phrases.titles
    for name, _text, rows in detail:
        out += (phrases.html_table_open, escape(titles[name]), phrases.html_table_head, rows, phrases.html_table_close)
    out.append(phrases.html_tail)
    return "".join(out)
