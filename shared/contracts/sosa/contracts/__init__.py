"""sosa.contracts"""
