"""Figures over the read model: the resilience analytics, the operations dashboard, and the
pipeline watch (consumer lag, dead letters)."""
