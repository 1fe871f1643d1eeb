"""Intake's read model and what reads it: each request's view and timeline, built only from
`sosa.outcomes.v1`; the list and its cursors; who may see a request (`access`); a supplier's
work order."""
