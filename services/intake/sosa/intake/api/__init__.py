"""Intake's HTTP API: one router per resource, and the OpenAPI description of its errors."""
