"""Organization name -> connector class, imported lazily so one broken module breaks one org.

Adding an organization is one module with a :class:`~connectors.base.Connector` subclass,
its sample and fixtures, and one line in :data:`CONNECTOR_MODULES`.
"""

from __future__ import annotations

import importlib

from connectors.base import Connector
from gateway.errors import ConfigError

__all__ = ["CONNECTOR_MODULES", "all_connectors", "get_connector", "unavailable_connectors"]

# Every organization, with the module and class of its connector.
CONNECTOR_MODULES: dict[str, tuple[str, str]] = {
    "INTERPOL": ("connectors.interpol", "InterpolConnector"),
    "EUROPOL": ("connectors.europol", "EuropolConnector"),
    "FRONTEX": ("connectors.frontex", "FrontexConnector"),
    "AFRIPOL": ("connectors.afripol", "AfripolConnector"),
    "AMERIPOL": ("connectors.ameripol", "AmeripolConnector"),
    "ASEANAPOL": ("connectors.aseanapol", "AseanapolConnector"),
    "GCCPOL": ("connectors.gccpol", "GccpolConnector"),
    "AIMC": ("connectors.aimc", "AimcConnector"),
    "ECO": ("connectors.eco", "EcoConnector"),
    "SCO": ("connectors.sco", "ScoConnector"),
    "UNODC": ("connectors.unodc", "UnodcConnector"),
}


def _load(org: str) -> type[Connector]:
    """Import the connector class of ``org`` (upper-case key), or raise ConfigError."""
    module_name, class_name = CONNECTOR_MODULES[org]
    try:
        module = importlib.import_module(module_name)
    except Exception as exc:  # why: a broken org module must not take the others down
        raise ConfigError(
            f"the {org} connector cannot be loaded: {type(exc).__name__}: {exc}",
            hint=f"fix or install the module {module_name}",
        ) from exc
    cls = getattr(module, class_name, None)
    if not (isinstance(cls, type) and issubclass(cls, Connector)):
        raise ConfigError(
            f"{module_name} has no Connector subclass named {class_name}",
            hint=f"define class {class_name}(Connector) in {module_name}",
        )
    return cls


def get_connector(org: str) -> Connector:
    """A fresh connector for an organization name, case-insensitive ('interpol' works)."""
    key = org.strip().upper()
    if key not in CONNECTOR_MODULES:
        known = ", ".join(CONNECTOR_MODULES)
        raise ConfigError(f"unknown organization {org!r}", hint=f"use one of: {known}")
    return _load(key)()


def all_connectors() -> list[Connector]:
    """One connector per organization whose module imports, in registry order."""
    found: list[Connector] = []
    for org in CONNECTOR_MODULES:
        try:
            found.append(_load(org)())
        except ConfigError:
            continue
    return found


def unavailable_connectors() -> dict[str, str]:
    """Organizations whose connector cannot be loaded, with the reason."""
    missing: dict[str, str] = {}
    for org in CONNECTOR_MODULES:
        try:
            _load(org)
        except ConfigError as exc:
            missing[org] = exc.message
    return missing
