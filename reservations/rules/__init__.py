"""The rules of booking: the decisions, computed from data loaded in bulk.

- deadlines: the deadline rules (until when a day can be booked or cancelled);
- closures: closed days (public holidays, school holidays, the structure's closures);
- places: places taken on a day, what a reservation holds;
- context: everything a family's days need, loaded in a constant number of queries;
- refusals: why not (a code and its French sentence);
- availability: the whole picture of one child's day (state, reasons, deadlines, price);
- states: the calendar states and the legend.
"""
