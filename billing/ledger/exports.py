"""Exports of a month of history: xlsx (openpyxl) and CSV, from one column list.

Spreadsheet safety: a text cell starting with = + - @ (or a tab / carriage return) would
be run as a formula by Excel or LibreOffice (CSV/formula injection). Such text is
prefixed with an apostrophe, in both the xlsx and the CSV; numbers and dates are
written as real numbers and dates, so they need no escaping.
"""
from __future__ import annotations

import csv
import datetime
import io
from collections.abc import Callable, Iterable
from copy import copy
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from billing.money import format_decimal, format_quantity, format_unit_price, round_money

DANGEROUS_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
EURO_FORMAT = '#,##0.00\\ "€";-#,##0.00\\ "€"'
PRICE_FORMAT = '#,##0.00##\\ "€"'
DATE_FORMAT = "DD/MM/YYYY"

TEXT, DATE, MONEY, PRICE, QUANTITY = "text", "date", "money", "price", "quantity"


def neutralise(text) -> str:
    """'=1+1' → "'=1+1": a spreadsheet shows the text instead of running it."""
    text = "" if text is None else str(text)
    return "'" + text if text.startswith(DANGEROUS_PREFIXES) else text


@dataclass(frozen=True)
class Column:
    header: str
    kind: str
    width: int
    value: Callable


def _family_columns() -> list[Column]:
    """The family's number and payer, after the first column of the staff's exports (all families)."""
    return [
        Column(_("N° famille"), TEXT, 12, lambda line: line.family.number),
        Column(_("Famille"), TEXT, 24, lambda line: line.family.payer_name),
    ]


def consumption_columns(*, with_family: bool = False) -> list[Column]:
    columns = [
        Column(_("Jour"), DATE, 12, lambda c: c.day),
        Column(_("Consommateur"), TEXT, 24, lambda c: c.child.display_name if c.child_id else ""),
        Column(_("Activité"), TEXT, 32, lambda c: c.activity_label),
        Column(_("Prix"), PRICE, 10, lambda c: c.unit_price),
        Column(_("Qté"), QUANTITY, 7, lambda c: c.quantity),
        Column(_("Total"), MONEY, 12, lambda c: c.total),
    ]
    if with_family:
        columns[1:1] = [*_family_columns(), Column(_("Porte-monnaie"), TEXT, 22, lambda c: c.wallet.name)]
    return columns


def payment_columns(*, with_family: bool = False) -> list[Column]:
    columns = [
        Column(_("Date Règl."), DATE, 12, lambda p: p.date),   # the user guide's heading
        Column(_("Mode règlement"), TEXT, 16, lambda p: p.get_mode_display()),
        Column(_("N° pièce"), TEXT, 22, lambda p: p.piece_number),
        Column(_("Nom payeur"), TEXT, 24, lambda p: p.payer_name),
        Column(_("Nom banque"), TEXT, 20, lambda p: p.bank_name),
        Column(_("Montant (€)"), MONEY, 13, lambda p: p.amount),
    ]
    if with_family:
        columns[1:1] = _family_columns()
    return columns


def display_cell(column: Column, value) -> str:
    """The text shown in a page or a PDF for one cell."""
    if value is None or value == "":
        return ""
    if column.kind == DATE:
        return value.strftime("%d/%m/%Y")
    if column.kind == MONEY:
        return format_decimal(value, 2)
    if column.kind == PRICE:
        return format_unit_price(value)
    if column.kind == QUANTITY:
        return format_quantity(value)
    return str(value)


def display_rows(columns: list[Column], objects: Iterable) -> list[list[str]]:
    return [[display_cell(column, column.value(obj)) for column in columns] for obj in objects]


def _total_index(columns: list[Column]) -> int:
    return max(i for i, column in enumerate(columns) if column.kind == MONEY)


def build_xlsx(*, title: str, subtitle: str = "", columns: list[Column], objects: Iterable, total: Decimal,
               sheet_name: str = "") -> bytes:
    """An .xlsx: title row(s), a header row, one row per object, a TOTAL row.

    Dates are real dates shown dd/mm/yyyy, amounts real numbers with a euro format,
    column widths are set and the header row stays visible when scrolling.
    Written in openpyxl's write-only mode so 10 000 lines take well under two seconds.
    """
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=(sheet_name or _("Historique"))[:31])
    for index, column in enumerate(columns, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = column.width
    header_row = 4 if subtitle else 3
    sheet.freeze_panes = f"A{header_row + 1}"

    bold = Font(bold=True)
    title_cell = WriteOnlyCell(sheet, value=neutralise(title))
    title_cell.font = Font(bold=True, size=14)
    sheet.append([title_cell])
    if subtitle:
        sheet.append([WriteOnlyCell(sheet, value=neutralise(subtitle))])
    sheet.append([])

    fill = PatternFill("solid", fgColor="DDE6F0")
    headers = []
    for column in columns:
        cell = WriteOnlyCell(sheet, value=column.header)
        cell.font = bold
        cell.fill = fill
        if column.kind in (MONEY, PRICE, QUANTITY):
            cell.alignment = Alignment(horizontal="right")
        headers.append(cell)
    sheet.append(headers)

    # One styled template cell per number format; each data cell copies its style array
    # (much cheaper than setting number_format cell by cell on 10 000 rows).
    formats = {DATE: DATE_FORMAT, MONEY: EURO_FORMAT, PRICE: PRICE_FORMAT}
    styles: dict[str, Any] = {}
    for kind, number_format in formats.items():
        template = WriteOnlyCell(sheet, value=0)
        template.number_format = number_format
        styles[kind] = template._style  # type: ignore[attr-defined]  # openpyxl's style array, not in its stubs
    kinds = [(column.kind, column.value, styles.get(column.kind)) for column in columns]
    for obj in objects:
        row: list[Any] = []
        for kind, getter, style in kinds:
            value = getter(obj)
            if kind == TEXT:
                row.append(neutralise(value))
                continue
            if kind == QUANTITY:
                row.append(int(value) if value is not None and value == value.to_integral_value() else value)
                continue
            cell = WriteOnlyCell(sheet, value=value)
            cell._style = copy(style)  # type: ignore[attr-defined]
            row.append(cell)
        sheet.append(row)

    total_index = _total_index(columns)
    total_row: list[Any] = [None] * len(columns)
    label = WriteOnlyCell(sheet, value=_("TOTAL (€)"))
    label.font = bold
    total_row[0] = label
    # openpyxl writes a Decimal as a number (its stubs only list float).
    amount = WriteOnlyCell(sheet, value=round_money(total))  # type: ignore[arg-type]
    amount.font = bold
    amount.number_format = EURO_FORMAT
    total_row[total_index] = amount
    sheet.append(total_row)

    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def build_csv(*, columns: list[Column], objects: Iterable, total: Decimal) -> bytes:
    """A CSV for French spreadsheets: ';' separator, UTF-8 with BOM, decimal comma,
    dates dd/mm/yyyy, a header row and a TOTAL row; text neutralised."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow([column.header for column in columns])
    for obj in objects:
        writer.writerow([_csv_cell(column, column.value(obj)) for column in columns])
    total_row = [""] * len(columns)
    total_row[0] = _("TOTAL (€)")
    total_row[_total_index(columns)] = format_decimal(total, 2, grouping=False)
    writer.writerow(total_row)
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def _csv_cell(column: Column, value) -> str:
    if value is None or value == "":
        return ""
    if column.kind == TEXT:
        return neutralise(value)
    if column.kind == DATE:
        return value.strftime("%d/%m/%Y") if isinstance(value, datetime.date) else str(value)
    if column.kind == QUANTITY:
        return format_quantity(value).replace("\u202f", "")
    if column.kind == PRICE:
        return format_unit_price(value).replace("\u202f", "")
    return format_decimal(value, 2, grouping=False)
