import datetime
import io
from decimal import Decimal

import pytest
import time_machine
from django.urls import reverse
from openpyxl import load_workbook

from billing.ledger.exports import build_csv, build_xlsx, consumption_columns, neutralise
from billing.tests.conftest import FEB_15_2017
from billing.tests.factories import ConsumptionFactory, PaymentFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def mid_february_2017():
    with time_machine.travel(FEB_15_2017, tick=False):
        yield


@pytest.mark.parametrize(("value", "expected"), [
    ("=1+1", "'=1+1"), ("+33 6", "'+33 6"), ("-2", "'-2"), ("@SUM(A1)", "'@SUM(A1)"), ("\t=x", "'\t=x"),
    ("Goûter", "Goûter"), ("a=b", "a=b"), ("", ""), (None, ""),
])
def test_neutralise(value, expected):
    assert neutralise(value) == expected


# openpyxl reads dates back as naive datetimes (a spreadsheet has no time zone): the lines
# comparing them say so to ruff (DTZ001).
def _sheet(response):
    assert response.status_code == 200
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    return load_workbook(io.BytesIO(response.content)).active


def test_consumptions_xlsx_has_title_header_real_dates_numbers_and_total(parent_client, january):
    sheet = _sheet(parent_client.get(reverse("billing:consumptions_export"), {"mois": "2017-01"}))
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0] == (f"Historique des Consommations — {january.structure.name} — "
                          f"Famille GUIDE DENIS (n° {january.number}) — Janvier 2017")
    assert rows[1][0] == "Édité le 15/02/2017 à 11:00"
    assert rows[3] == ("Jour", "Consommateur", "Activité", "Prix", "Qté", "Total")
    first = sheet.cell(row=5, column=1)
    assert first.value == datetime.datetime(2017, 1, 31) and first.number_format == "DD/MM/YYYY"  # noqa: DTZ001
    assert rows[4][1:] == ("GUIDE Emmy", "Garderie Soir Scolaire", 0.45, 7, 3.15)
    assert "€" in sheet.cell(row=5, column=6).number_format and "€" in sheet.cell(row=5, column=4).number_format
    assert isinstance(sheet.cell(row=5, column=6).value, float)
    assert rows[-1][0] == "TOTAL (€)" and rows[-1][5] == pytest.approx(13.08)
    assert "€" in sheet.cell(row=len(rows), column=6).number_format
    assert len(rows) == 4 + 4 + 1
    assert sheet.column_dimensions["C"].width >= 30 and sheet.column_dimensions["A"].width >= 10
    assert sheet.freeze_panes == "A5"


def test_payments_xlsx_keeps_accents_and_text_pieces(parent_client, january):
    sheet = _sheet(parent_client.get(reverse("billing:payments_export"), {"mois": "2017-01", "format": "xlsx"}))
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[3] == ("Date Règl.", "Mode règlement", "N° pièce", "Nom payeur", "Nom banque", "Montant (€)")
    assert rows[4] == (datetime.datetime(2017, 1, 29), "Internet", "3150-N°AUTO:445401", "POUR .GUIDE CARTE+", "PAR INTERNET",  # noqa: DTZ001
                       150)
    assert rows[-1][0] == "TOTAL (€)" and rows[-1][5] == 150


def test_xlsx_neutralises_formulas_in_text_but_not_negative_amounts(parent_client, january, wallets):
    emmy = january.children.get()
    ConsumptionFactory(family=january, child=emmy, wallet=wallets["loisirs"], day=datetime.date(2017, 1, 2),
                       activity_label='=HYPERLINK("http://evil","clic")', unit_price=Decimal("-2.50"))
    PaymentFactory(family=january, date=datetime.date(2017, 1, 3), payer_name="@SUM(1+1)", bank_name="+BANK", piece_number="-1")
    consumptions = _sheet(parent_client.get(reverse("billing:consumptions_export"), {"mois": "2017-01"}))
    cell = next(row for row in consumptions.iter_rows(min_row=5) if row[0].value == datetime.datetime(2017, 1, 2))  # noqa: DTZ001
    assert cell[2].value == "'=HYPERLINK(\"http://evil\",\"clic\")" and cell[2].data_type == "s"
    assert cell[5].value == -2.5 and cell[5].data_type == "n"
    payments = _sheet(parent_client.get(reverse("billing:payments_export"), {"mois": "2017-01"}))
    row = next(r for r in payments.iter_rows(min_row=5, values_only=True) if r[0] == datetime.datetime(2017, 1, 3))  # noqa: DTZ001
    assert row[2:5] == ("'-1", "'@SUM(1+1)", "'+BANK")
    assert all(c.data_type != "f" for r in payments.iter_rows() for c in r)


def test_filtered_export_says_so_in_its_title(parent_client, january):
    sheet = _sheet(parent_client.get(reverse("billing:consumptions_export"), {"mois": "2017-01", "q": "gouter"}))
    rows = list(sheet.iter_rows(values_only=True))
    assert "filtre : « gouter »" in rows[1][0]
    assert [r[2] for r in rows[4:-1]] == ["Gouter"]


def test_csv_builder_reads_back_with_the_csv_module(family, wallets):
    import csv
    line = ConsumptionFactory(family=family, child=family.children.get(), wallet=wallets["loisirs"],
                              activity_label="Séjour; « été »",
                              unit_price=Decimal("1234.5678"), quantity=Decimal("1.5"))
    raw = build_csv(columns=consumption_columns(), objects=[line], total=line.total)
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig")), delimiter=";"))
    assert rows[1] == ["31/01/2017", "GUIDE Emmy", "Séjour; « été »", "1234,5678", "1,5", "1851,85"]
    assert rows[2][-1] == "1851,85"


def test_thousands_of_lines_make_a_valid_workbook(family, wallets):
    line = ConsumptionFactory(family=family, child=family.children.get(), wallet=wallets["loisirs"])
    content = build_xlsx(title="Test", columns=consumption_columns(), objects=[line] * 3000, total=line.total * 3000)
    sheet = load_workbook(io.BytesIO(content), read_only=True).active
    assert sum(1 for _ in sheet.iter_rows(values_only=True)) == 3 + 3000 + 1


def test_export_rows_read_like_the_model_for_the_columns(january, stranger):
    from billing.ledger.history import consumption_export_rows
    from billing.models import Consumption

    queryset = Consumption.objects.order_by("-day", "id")
    columns = consumption_columns(with_family=True)
    from_models = [[column.value(line) for column in columns] for line in queryset.select_related("child", "family", "wallet")]
    from_rows = [[column.value(row) for column in columns] for row in consumption_export_rows(queryset)]
    assert from_rows == from_models and len(from_rows) == 5
