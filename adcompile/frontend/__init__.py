"""The frontend: from the user's function to the normalized IR (one primitive per statement)."""

from .normalize import normalize

__all__ = ["normalize"]
