"""sosa.intake"""
