"""What a confirmation did to each cart line: typed, stored as JSON, read back in one place.

``cart_confirm`` returns a ConfirmationResult and stores its ``to_json()`` on the
CartConfirmation (a replayed token shows the same page); the confirmation page reads it
back with ``ConfirmationResult.from_json`` — results stored by earlier versions have the
same keys. The observation is stored as written at confirm time (the seed's "Remarques").
"""
from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum

from django.utils.translation import gettext_lazy

from reservations.models import CartLine


class Outcome(StrEnum):
    """What happened to one cart line at confirm time."""

    BOOKED = "booked"                        # a request "Non transmise"
    WAITING = "waiting"                      # the same, with the waiting-list mark
    FULL = "full"                            # no place and no waiting place: nothing recorded
    CANCELLED = "cancelled"                  # a request not transmitted yet, withdrawn at once
    CANCEL_REQUESTED = "cancel_requested"    # an accepted / waiting-listed request: cancelled tonight
    REFUSED = "refused"                      # the rules said no at that moment (deadline, closed day…)

    def observation(self, reason: str = "") -> str:
        """The sentence of the "Observations" column; ``reason`` says why a line was refused."""
        return str(_OBSERVATIONS[self]) % {"reason": reason}

    @property
    def is_recorded(self) -> bool:
        """Something was written tonight's batch will answer (or a withdrawal made at once)."""
        return self not in (Outcome.FULL, Outcome.REFUSED)

    @property
    def icon(self) -> str:
        """A symbol beside the observation (hidden from screen readers: the text says it all)."""
        return {Outcome.FULL: "✕", Outcome.REFUSED: "✕", Outcome.WAITING: "◷"}.get(self, "✓")


_OBSERVATIONS = {
    Outcome.BOOKED: gettext_lazy("Demande enregistrée (non transmise)"),
    Outcome.WAITING: gettext_lazy("Mise en liste d'attente"),
    Outcome.FULL: gettext_lazy("Non traitée, activité complète"),
    Outcome.CANCELLED: gettext_lazy("Annulée"),
    Outcome.CANCEL_REQUESTED: gettext_lazy("Demande d'annulation enregistrée"),
    Outcome.REFUSED: gettext_lazy("Non traitée : %(reason)s"),
}


@dataclass(frozen=True)
class LineResult:
    """One row of the confirmation page."""

    date: datetime.date
    activity: str
    child: str
    arrival: str             # "07:45", as the parent booked it
    departure: str
    action: str              # CartLine.Action
    outcome: Outcome
    observation: str
    cost: Decimal | None = None

    @property
    def is_cancellation(self) -> bool:
        return self.action == CartLine.Action.CANCEL

    @property
    def icon(self) -> str:
        return self.outcome.icon

    def to_json(self) -> dict:
        return {"date": self.date.isoformat(), "activity": self.activity, "child": self.child, "arrival": self.arrival,
                "departure": self.departure, "action": str(self.action), "cost": None if self.cost is None else str(self.cost),
                "outcome": str(self.outcome), "observation": self.observation}

    @classmethod
    def from_json(cls, row: dict) -> LineResult:
        cost = row.get("cost")
        return cls(date=datetime.date.fromisoformat(row["date"]), activity=row.get("activity", ""),
                   child=row.get("child", ""), arrival=row.get("arrival", ""), departure=row.get("departure", ""),
                   action=row.get("action", CartLine.Action.BOOK), outcome=Outcome(row["outcome"]),
                   observation=row.get("observation", ""), cost=None if cost in (None, "") else Decimal(str(cost)))


@dataclass(frozen=True)
class ConfirmationResult:
    """Everything one "Valider réellement" did, and what changed since the summary."""

    token: str
    lines: list[LineResult] = field(default_factory=list)
    changes: list[str] = field(default_factory=list)
    replayed: bool = False       # the token had been confirmed already: nothing was recorded this time
    # How long the days stayed locked, in seconds (None: none was); not stored.
    lock_held: float | None = field(default=None, compare=False)

    @property
    def recorded_count(self) -> int:
        return sum(1 for line in self.lines if line.outcome.is_recorded)

    @property
    def not_recorded_count(self) -> int:
        return len(self.lines) - self.recorded_count

    def to_json(self) -> dict:
        return {"token": self.token, "lines": [line.to_json() for line in self.lines], "changes": list(self.changes)}

    @classmethod
    def from_json(cls, data: dict, *, replayed: bool = False) -> ConfirmationResult:
        data = data or {}
        return cls(token=str(data.get("token", "")), lines=[LineResult.from_json(row) for row in data.get("lines", [])],
                   changes=list(data.get("changes", [])), replayed=replayed)
