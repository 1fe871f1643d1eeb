"""sosa intake: the public write API; commands stored with their outbox rows, and the read model."""
