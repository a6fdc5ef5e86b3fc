"""The version of perfsheet, in one place (templates record it as their generator)."""

__version__ = "0.1.0"
