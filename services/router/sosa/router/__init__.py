"""sosa.router"""
