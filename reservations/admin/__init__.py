"""The staff admin of reservations, one module per area; importing this package registers
every ModelAdmin once (Django's admin autodiscovery imports ``reservations.admin``).

- catalogue: deadline rules, activities, enrolments, closures;
- days: the days (occurrences), their capacities and waiting lists;
- requests: reservations and their events, staff decisions;
- nightly: the transmission runs, launching one by hand, attendance sheets.
"""
from . import catalogue, days, nightly, requests  # noqa: F401
