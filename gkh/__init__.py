"""gkh: housing and utility services from the shell."""

__version__ = "0.1.0"
