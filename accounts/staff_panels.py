"""Extension points of two staff pages: the staff home (admin index) and the family at a glance.

accounts sits below billing, reservations and notifications (DESIGN §3) and cannot read their
rows; yet the phone call needs a family's balance, bookings and e-mails on one page, and the
staff home needs requests, waiting lists, the night's runs and failed e-mails. So accounts owns
both pages and a registry of panels, and each app registers its own panels from its
AppConfig.ready() (the estimate providers of billing.ledger.balance work the same way). A panel
function receives the request (and the family) and returns a Panel, or None when it has
nothing to show; pages render the panels in ``order``.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass
class TodoItem:
    """One line of the staff home's "À faire": a count, what it is, where to deal with it."""

    count: int
    label: str
    url: str
    urgent: bool = False


@dataclass
class Panel:
    title: str
    template: str
    context: dict = field(default_factory=dict)
    order: int = 100
    todo: list[TodoItem] = field(default_factory=list)


HomePanel = Callable[..., "Panel | None"]
FamilyPanel = Callable[..., "Panel | None"]
_home: list[HomePanel] = []
_family: list[FamilyPanel] = []


def register_home_panel(function: HomePanel) -> HomePanel:
    """``function(*, request, structure_ids)``: structure_ids None means every structure (superuser)."""
    if function not in _home:
        _home.append(function)
    return function


def register_family_panel(function: FamilyPanel) -> FamilyPanel:
    """``function(*, request, family)``: the family is already one the staff member may see."""
    if function not in _family:
        _family.append(function)
    return function


def home_panels(*, request, structure_ids) -> list[Panel]:
    panels = [function(request=request, structure_ids=structure_ids) for function in _home]
    return sorted((panel for panel in panels if panel is not None), key=lambda panel: panel.order)


def family_panels(*, request, family) -> list[Panel]:
    panels = [function(request=request, family=family) for function in _family]
    return sorted((panel for panel in panels if panel is not None), key=lambda panel: panel.order)
