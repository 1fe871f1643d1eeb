"""Intake's one accept path: every command (submit, the commands after it, the posture PUT)
built before any I/O and stored with its outbox row, idempotency key and audit entry by group
commit (`writes.store_all`); and the dry run."""
