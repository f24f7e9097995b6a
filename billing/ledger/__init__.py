"""The ledger: wallets, consumptions, payments and their allocations, and what is read from them.

- pricing: the price of one booking (tariffs, quotient brackets, time units);
- services: writes (consumptions posted, payments recorded, corrections as opposite lines);
- history: the month-by-month history a family reads (consumptions, payments), export rows;
- balance: balances per wallet and the estimate of what is booked;
- exports, printing: xlsx / CSV and PDF of a month of history, receipts;
- forms, views, urls: the parent pages; admin: the staff's.

Online payments (payments/) and invoices (invoicing/) come beside it (DESIGN §3, §7).
"""
