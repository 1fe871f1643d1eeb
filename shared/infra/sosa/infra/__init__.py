"""sosa.infra"""
