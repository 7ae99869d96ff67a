"""Finds files shipped with Frontline, in a wheel or in a source checkout."""

from __future__ import annotations

from pathlib import Path

__all__ = ["resource_path"]

_PACKAGE_DIR = Path(__file__).resolve().parent
_CHECKOUT_ROOT = _PACKAGE_DIR.parent

# Where each resource lives in a checkout, and under which name the wheel ships it.
_LOCATIONS = {
    "schemas": ("schemas", "_schemas"),
    "kafka": ("deploy/kafka", "_deploy/kafka"),
    "topology": ("deploy/topology.toml", "_deploy/topology.toml"),
    "policy": ("deploy/policy.toml", "_deploy/policy.toml"),
}


def resource_path(name: str) -> Path:
    """Path of a shipped resource: the wheel's copy first, then the checkout's."""
    checkout, packaged = _LOCATIONS[name]
    for candidate in (_PACKAGE_DIR / packaged, _CHECKOUT_ROOT / checkout):
        if candidate.exists():
            return candidate
    raise FileNotFoundError(f"Frontline resource {name!r} is missing from the installation")
