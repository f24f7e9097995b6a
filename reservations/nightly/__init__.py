"""The nightly transmission (DESIGN §4 step 4) and what hangs off it.

A run (one structure's night, run.py) is cut into chunks (keyset pages; in chunked mode
one Celery task each), a chunk into batches (one transaction each), a batch into
occurrences: ``transmission_run`` → ``occurrences_settle`` → ``batch_settle`` →
``plan_changes`` (pure, plan.py); in chunked mode ``chunk_settle`` settles one chunk.
posting: consumptions of the past days; figures: what a night did, counted from its rows;
watchdog: a night whose worker died is finished; health: /health's age of the last night;
tasks: the Celery tasks (names "reservations.tasks.…"); signals: for notifications.
"""
