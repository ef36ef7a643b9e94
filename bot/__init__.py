"""Puente's Rasa-side code: training data lives in bot/data, custom Rasa components here."""
