"""Invoicing of the invoiced wallets: monthly runs, invoices, credit notes (DESIGN §3, §7).

- models: runs, invoices and their lines, credit notes, the numbering counters, settings;
- numbering: gapless numbers from a counter row under a row lock;
- services: drafts of a month, finalisation, cancellation by a credit note;
- selectors: what staff review before finalising (totals, families left out, late lines);
- settlement: which payment settles which invoice; online: a parent pays one invoice online;
- tasks: the monthly drafts started by beat; admin: the staff's pages.
"""
