"""Wire contracts shared by every sosa service: topics, CloudEvents envelope, message models."""
