"""Online payments: a structure's provider configuration, payment attempts with their state
history, the record-once service that turns a verified result into one ledger Payment, and the
provider adapters over eopayment (DESIGN §7, "Money in")."""
