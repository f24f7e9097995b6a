"""The parent's home page answers "where am I" (issue 11): sections given by the apps above
portal, which cannot import them — each registers a provider from its AppConfig.ready().

A provider takes (family, now) and returns a HomeSection (a template under templates/ and its
context) or None when it has nothing to say. Sections are shown by their ``order``; the
structure's messages come after them (portal's own).
"""
from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass, field

HomeProvider = Callable[..., "HomeSection | None"]
_providers: list[tuple[int, HomeProvider]] = []


@dataclass(frozen=True)
class HomeSection:
    template: str
    context: dict = field(default_factory=dict)


def register_home_section(order: int, provider: HomeProvider) -> HomeProvider:
    if all(registered is not provider for _, registered in _providers):
        _providers.append((order, provider))
        _providers.sort(key=lambda item: item[0])
    return provider


def home_sections(*, family, now: datetime.datetime) -> list[HomeSection]:
    sections = []
    for _, provider in _providers:
        section = provider(family=family, now=now)
        if section is not None:
            sections.append(section)
    return sections
