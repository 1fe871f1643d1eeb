"""sosa.rules"""
