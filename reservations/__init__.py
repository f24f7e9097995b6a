"""Reservations: what can be booked, the parent's cart, the nightly transmission, staff tools.

One Django app (label "reservations": models, migrations and permissions in one place)
organised in sub-packages by flow:

- rules/    deadlines, closures, calendar states, places and availability: the decisions;
- booking/  the parent's side: cart, summary, confirmation, calendar reads, follow-up,
            estimates, forms, views, URLs;
- nightly/  the transmission (plan, settle, run), posting of consumptions, Celery tasks,
            the signal notifications listens to;
- staff/    staff writes and reads: decisions, generating days, attendance;
- admin/    the staff admin, one module per area (and its list filters);
- demo/     the demo data (python manage.py seed_demo);
- locking.py every lock: sorted row locks, the confirmation's lock timeout, the night's lock.
"""
