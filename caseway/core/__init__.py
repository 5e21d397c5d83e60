"""Kernel with no business models: channel kinds, the after-commit event bus, HTML sanitising,
timestamp mixins. Imports nothing from Caseway; every app may import it."""
