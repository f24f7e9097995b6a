"""The detail rows of the night's report, built once in Python instead of in a template loop.

A report has a few summary lines but one detail row per day told, and the night writes
thousands of reports: looping over the rows in the template engine (two templates, eight
lookups per row) was most of the night's writing time (issue 16). The frame around them —
greeting, summary, headings, contact — is built by notifications.report_bodies; both print
the characters templates/notifications/email/report.{txt,html} print (the tests compare
them), escaped in the HTML part as the template did.
"""
from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from html import escape
from typing import Protocol

from django.utils.safestring import SafeString, mark_safe


class ReportLine(Protocol):
    """What a row prints of notifications.reports.ReportLine (which imports this module)."""

    @property
    def day(self) -> str: ...
    @property
    def child(self) -> str: ...
    @property
    def activity(self) -> str: ...
    @property
    def outcome(self) -> str: ...
    @property
    def reason(self) -> str: ...
    @property
    def cost_text(self) -> str: ...
    @property
    def promoted(self) -> bool: ...


# The same children, activities, days and words come back in every report: each is escaped once
# (html.escape, which Django's ``escape`` calls).
_escaped = lru_cache(maxsize=8192)(escape)

# The indentation of report.html's <tbody>: each row is followed by it, as the template loop printed.
HTML_ROW_END = "\n      "


def rows_text(lines: Sequence[ReportLine]) -> str:
    """'- 05/01/2026 · Léa · Restauration : Acceptée (raison) — 3,50 €' lines, one per row."""
    return "".join(
        f"- {line.day} · {line.child} · {line.activity} : {line.outcome}"
        + (f" ({line.reason})" if line.reason else "")
        + (f" — {cost}" if (cost := line.cost_text) else "")
        + "\n"
        for line in lines
    )


def rows_html(lines: Sequence[ReportLine]) -> SafeString:
    """The <tr> of each row; a waiting-list place given is in bold. Every value is escaped as
    the template's autoescape did (Django's ``escape`` is the standard library's)."""
    rows = []
    for line in lines:
        outcome = _escaped(line.outcome)
        if line.promoted:
            outcome = f"<strong>{outcome}</strong>"
        reason = f" ({_escaped(line.reason)})" if line.reason else ""
        rows.append(
            '<tr style="border-top: 1px solid #dee2e6;">\n'
            f"        <td>{_escaped(line.day)}</td><td>{_escaped(line.child)}</td><td>{_escaped(line.activity)}</td>\n"
            f"        <td>{outcome}{reason}</td>\n"
            f'        <td style="text-align: right; white-space: nowrap;">{_escaped(line.cost_text)}</td>\n'
            "      </tr>" + HTML_ROW_END
        )
    return mark_safe("".join(rows))
