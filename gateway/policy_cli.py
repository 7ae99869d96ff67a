"""``frontline policy`` lives in :mod:`gateway.cli.policy`; this name is kept for imports.

Importing it from here first used to be circular (``gateway.cli`` registers every command
module on import, ``gateway.cli.policy`` among them).
"""

from gateway.cli.policy import app

__all__ = ["app"]
