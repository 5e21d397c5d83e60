"""Caseway: an open-source, omnichannel customer-service platform."""

__version__ = "0.1.0"
