"""Puente's custom actions, served by `rasa run actions --actions actions`."""
