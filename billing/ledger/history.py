"""Reads of a family's history: months it may consult, its lines of a month, export rows.

Every function takes the family explicitly (views pass `request.family`), so another
family's lines can never be reached through them. Each read is a fixed number of SQL
queries whatever the number of lines (asserted in tests/ledger/test_history.py).
"""
from __future__ import annotations

import datetime
import re
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Max, Q, Sum
from django.http import Http404
from django.utils.translation import gettext as _

from billing.models import Consumption, Payment
from billing.money import round_money
from portal import dates

ZERO = Decimal("0.00")
MONTH_PATTERN = re.compile(r"^(\d{4})-(\d{2})$")


# --- Months -----------------------------------------------------------------------------

@dataclass(frozen=True, order=True)
class Month:
    year: int
    month: int

    @classmethod
    def of(cls, day: datetime.date) -> Month:
        return cls(day.year, day.month)

    @classmethod
    def parse(cls, text: str) -> Month:
        """'2017-01' → Month(2017, 1); ValueError for anything else."""
        match = MONTH_PATTERN.match(text or "")
        if not match:
            raise ValueError(text)
        year, month = int(match.group(1)), int(match.group(2))
        if not (1 <= month <= 12 and 1900 <= year <= 9999):
            raise ValueError(text)
        return cls(year, month)

    @property
    def first_day(self) -> datetime.date:
        return datetime.date(self.year, self.month, 1)

    @property
    def last_day(self) -> datetime.date:
        return dates.month_end(self.first_day)

    def next(self) -> Month:
        return self.shifted(1)

    def previous(self) -> Month:
        return self.shifted(-1)

    def shifted(self, months: int) -> Month:
        return Month.of(dates.add_months(self.first_day, months))

    @property
    def key(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"

    @property
    def label(self) -> str:
        """'Janvier 2017' in French (Django's translated month names, capitalised)."""
        return dates.month_label(self.year, self.month)

    def __str__(self) -> str:
        return self.key


@dataclass(frozen=True)
class Period:
    """A run of whole months, from ``first`` to ``last`` included (the payments history)."""

    first: Month
    last: Month

    @classmethod
    def single(cls, month: Month) -> Period:
        return cls(month, month)

    @property
    def first_day(self) -> datetime.date:
        return self.first.first_day

    @property
    def last_day(self) -> datetime.date:
        return self.last.last_day

    @property
    def key(self) -> str:
        """'2017-01' or '2017-01_2017-02' (file names)."""
        return self.first.key if self.first == self.last else f"{self.first.key}_{self.last.key}"

    @property
    def label(self) -> str:
        """'Janvier 2017 - Février 2017' as in the user guide ('Janvier 2017' for one month)."""
        return self.first.label if self.first == self.last else f"{self.first.label} - {self.last.label}"

    def __str__(self) -> str:
        return self.key


def default_payment_period(months: list[Month]) -> Period:
    """The current and previous months (seed: "sur le mois en cours et le mois précédent"),
    within the months the structure lets parents consult (``months``: newest first)."""
    return Period(months[min(1, len(months) - 1)], months[0])


def allowed_months(structure, *, today: datetime.date | None = None) -> list[Month]:
    """The months a parent may consult, newest first: the current one and
    `structure.history_months - 1` before it (2 = current and previous)."""
    current = Month.of(today or dates.today())
    count = max(int(structure.history_months or 1), 1)
    return [current.shifted(-offset) for offset in range(count)]


def latest_month_with_lines(*, family, kind: str, months: list[Month]) -> Month | None:
    """The newest month among ``months`` (newest first) holding one of the family's consumptions
    (``kind`` "consumptions") or payments: where a history opens when the current month is still
    empty (on the 1st, say). One query."""
    model, day = (Consumption, "day") if kind == "consumptions" else (Payment, "date")
    latest = (model.objects.filter(family=family, **{f"{day}__gte": months[-1].first_day, f"{day}__lte": months[0].last_day})
              .aggregate(latest=Max(day))["latest"])
    return Month.of(latest) if latest else None


def is_month_allowed(structure, month: Month, *, today: datetime.date | None = None) -> bool:
    months = allowed_months(structure, today=today)
    return months[-1] <= month <= months[0]


# --- History lines ----------------------------------------------------------------------

@dataclass
class HistoryLines:
    """What a history page, an export or a print shows: a month of consumptions, a period of payments."""

    period: Period
    query: str
    lines: list = field(default_factory=list)
    total: Decimal = ZERO


def _words(query: str) -> list[str]:
    return [word for word in (query or "").split() if word][:8]


def consumption_lines(*, family, month: Month, query: str = "") -> HistoryLines:
    """The family's consumptions of the month, newest day first; one query.

    `query`: every word must appear in the child's first or last name, the activity or
    the wallet (case-insensitive). The total is the sum of the shown line totals.
    """
    queryset = (
        Consumption.objects.filter(family=family, day__gte=month.first_day, day__lte=month.last_day)
        .select_related("child", "wallet")
        .order_by("-day", "wallet__position", "id")
    )
    for word in _words(query):
        queryset = queryset.filter(
            Q(child__first_name__icontains=word) | Q(child__last_name__icontains=word)
            | Q(activity_label__icontains=word) | Q(wallet__name__icontains=word)
        )
    lines = list(queryset)
    return HistoryLines(period=Period.single(month), query=query, lines=lines,
                        total=round_money(sum((c.total for c in lines), ZERO)))


def payment_lines(*, family, period: Period, query: str = "") -> HistoryLines:
    """The family's payments of the period (whole months), newest first, with one total; one query.

    `query`: every word must appear in the mode, piece number, payer or bank name.
    """
    queryset = (Payment.objects.filter(family=family, date__gte=period.first_day, date__lte=period.last_day)
                .order_by("-date", "-id"))
    for word in _words(query):
        modes = [value for value, label in Payment.Mode.choices if word.casefold() in str(label).casefold()]
        queryset = queryset.filter(
            Q(piece_number__icontains=word) | Q(payer_name__icontains=word) | Q(bank_name__icontains=word) | Q(mode__in=modes)
        )
    lines = list(queryset)
    return HistoryLines(period=period, query=query, lines=lines, total=round_money(sum((p.amount for p in lines), ZERO)))


def payment_of_family_or_404(*, family, payment_id) -> Payment:
    """One of the family's payments with its allocations; another family's is a 404."""
    try:
        return Payment.objects.prefetch_related("allocations__wallet").get(family=family, pk=int(payment_id))
    except (Payment.DoesNotExist, TypeError, ValueError):
        raise Http404(_("Règlement introuvable.")) from None


@dataclass(frozen=True, slots=True)
class _Ref:
    """The few fields of a related row an export reads (child, family, wallet)."""

    display_name: str = ""
    number: str = ""
    payer_name: str = ""
    name: str = ""


@dataclass(slots=True)
class ConsumptionRow:
    """A consumption as the exports read it (same attribute paths as the model)."""

    day: datetime.date
    child_id: int | None
    child: _Ref
    activity_label: str
    unit_price: Decimal
    quantity: Decimal
    total: Decimal
    family: _Ref
    wallet: _Ref


def consumption_export_rows(queryset, *, chunk_size: int = 2000):
    """Stream a consumption queryset as light rows for big exports (values_list: about
    ten times cheaper than model instances for 10 000 lines)."""
    fields = ("day", "child_id", "child__first_name", "child__last_name", "activity_label", "unit_price", "quantity",
              "total", "family_id", "family__number", "family__payer_name", "wallet_id", "wallet__name")
    refs: dict[tuple, _Ref] = {}

    def ref(key, **values):
        if key not in refs:
            refs[key] = _Ref(**values)
        return refs[key]

    for (day, child_id, first, last, label, price, quantity, total, family_id, number, payer, wallet_id, wallet_name) \
            in queryset.values_list(*fields).iterator(chunk_size=chunk_size):
        child = ref(("c", child_id), display_name=f"{(last or '').upper()} {first}" if child_id else "")  # = Child.display_name
        yield ConsumptionRow(day, child_id, child, label, price, quantity, total,
                             ref(("f", family_id), number=number, payer_name=payer), ref(("w", wallet_id), name=wallet_name))


def month_totals(*, family, month: Month) -> dict[str, Decimal]:
    """Unfiltered totals of the month: consumed, paid; two aggregate queries."""
    consumed = Consumption.objects.filter(family=family, day__gte=month.first_day,
                                          day__lte=month.last_day).aggregate(s=Sum("total"))["s"]
    paid = Payment.objects.filter(family=family, date__gte=month.first_day,
                                  date__lte=month.last_day).aggregate(s=Sum("amount"))["s"]
    return {"consumed": round_money(consumed or ZERO), "paid": round_money(paid or ZERO)}


# --- Lines posted by jobs ---------------------------------------------------------------

def posted_source_count(*, source_keys: list[str], batch: int = 5000) -> int:
    """How many of these source keys ("reservation:42") have a posted line: a job's figures
    counted from the ledger itself (one indexed query per ``batch`` keys)."""
    return sum(Consumption.objects.filter(source_key__in=source_keys[start:start + batch]).count()
               for start in range(0, len(source_keys), batch))
