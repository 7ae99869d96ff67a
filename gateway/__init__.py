"""Frontline: alerts from policing organizations to the officers at border crossings."""

from gateway.errors import FrontlineError

__all__ = ["FrontlineError", "__version__"]

__version__ = "0.1.0"
