"""Adapters every sosa service shares: Kafka, database, outbox, clock, settings, logging, health."""
