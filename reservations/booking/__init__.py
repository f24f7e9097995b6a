"""The parent's side of booking (DESIGN §4 steps 1-3) and what it reads.

Writes: cart (lines added, taken back, week patterns, cancellations from the follow-up)
and confirmation ("Valider réellement"); reads: summary ("Valider"), selectors (calendar,
day, one row of the family's or a 404), followup, estimates (for billing's balance);
results (what a confirmation did, typed); forms, views, urls.
"""
