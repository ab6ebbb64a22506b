"""The tickets and the settings dialog."""
