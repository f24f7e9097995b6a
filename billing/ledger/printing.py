"""Printable PDFs of a month of history and of a payment's receipt (portal.printing makes them).

The page numbers ("Page 2 / 3") come from CSS @page counters, so they are right
whatever the number of lines.
"""
from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

from django.template.loader import render_to_string
from django.utils import timezone

from billing.money import format_decimal
from portal.printing import html_to_pdf

from .exports import MONEY, PRICE, QUANTITY, Column, display_cell


def render_history_pdf(*, structure, family, title: str, period: str, columns: list[Column], objects: Iterable,
                       total: Decimal, query: str = "") -> bytes:
    """The PDF a town hall would send: letterhead, family, period, table, total, pages."""
    numeric = [column.kind in (MONEY, PRICE, QUANTITY) for column in columns]
    rows = [[(display_cell(column, column.value(obj)), is_num) for column, is_num in zip(columns, numeric, strict=True)]
            for obj in objects]
    html = render_to_string("billing/pdf/history.html", {
        "structure": structure,
        "family": family,
        "title": title,
        "period": period,
        "query": query,
        "headers": list(zip([column.header for column in columns], numeric, strict=True)),
        "rows": rows,
        "span": len(columns) - 1,
        "total": format_decimal(total, 2),
        "generated_at": timezone.localtime(),
    })
    return html_to_pdf(html)


def render_receipt_pdf(*, structure, family, payment) -> bytes:
    """A receipt for one payment: who paid what, when, how, and to which wallets."""
    html = render_to_string("billing/pdf/receipt.html", {
        "structure": structure, "family": family, "payment": payment,
        "allocations": list(payment.allocations.all()), "generated_at": timezone.localtime(),
    })
    return html_to_pdf(html)
