"""Parties as intake keeps them: the registry, their attributes and API keys, and the facts
commands are checked against."""
