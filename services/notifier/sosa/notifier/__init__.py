"""sosa.notifier"""
