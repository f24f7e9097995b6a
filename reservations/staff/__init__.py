"""What structure staff do and read about reservations, beyond the admin's plain edits.

services: decide on a request "En attente réponse", generate the days of an activity;
attendance: the attendance sheet of a day and its marking; selectors: the reads of the
staff pages (the structures a staff member works for, one activity's day); home and
family_panel: reservations' panels on the staff home and the family at a glance.
"""
