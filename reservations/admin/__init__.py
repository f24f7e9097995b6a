"""The staff admin of reservations, one module per area; importing this package registers
every ModelAdmin once (Django's admin autodiscovery imports ``reservations.admin``).

- catalogue: deadline rules, activities, enrolments, closures, days and capacities;
- requests: reservations and their events, staff decisions;
- nightly: the transmission runs, launching one by hand, attendance sheets.
"""
from . import catalogue, nightly, requests  # noqa: F401
