"""The client's configuration: profiles and settings (settings.py), sign-in tokens (credentials.py)."""
