"""In its own module so the transports and delivery share it without importing each other."""


class PermanentError(Exception):
    """The notification cannot be sent as configured (no recipients, URL refused it...)."""
