"""Organization code -> connector class, imported lazily so one broken module breaks one org.

The organizations are the contract's :class:`~gateway.contract.Org`; adding one is listed in
docs/connectors.md ("Adding an organization"): here, one line in :data:`CONNECTOR_MODULES`.
"""

from __future__ import annotations

import importlib

from connectors.base import Connector
from gateway.contract import Org
from gateway.errors import ConfigError

__all__ = [
    "CONNECTOR_MODULES",
    "all_connectors",
    "get_connector",
    "load_connectors",
    "unavailable_connectors",
]

# Every organization, with the module and class of its connector.
CONNECTOR_MODULES: dict[Org, tuple[str, str]] = {
    Org.INTERPOL: ("connectors.interpol", "InterpolConnector"),
    Org.EUROPOL: ("connectors.europol", "EuropolConnector"),
    Org.FRONTEX: ("connectors.frontex", "FrontexConnector"),
    Org.AFRIPOL: ("connectors.afripol", "AfripolConnector"),
    Org.AMERIPOL: ("connectors.ameripol", "AmeripolConnector"),
    Org.ASEANAPOL: ("connectors.aseanapol", "AseanapolConnector"),
    Org.GCCPOL: ("connectors.gccpol", "GccpolConnector"),
    Org.AIMC: ("connectors.aimc", "AimcConnector"),
    Org.ECO: ("connectors.eco", "EcoConnector"),
    Org.SCO: ("connectors.sco", "ScoConnector"),
    Org.UNODC: ("connectors.unodc", "UnodcConnector"),
}


def _load(org: Org) -> type[Connector]:
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
    if key not in Org.__members__ or Org[key] not in CONNECTOR_MODULES:
        known = ", ".join(o.value for o in CONNECTOR_MODULES)
        raise ConfigError(f"unknown organization {org!r}", hint=f"use one of: {known}")
    return _load(Org[key])()


def all_connectors() -> list[Connector]:
    """One connector per organization, in registry order.

    ConfigError naming every organization whose connector cannot be loaded, and why: a
    broken module is reported, never silently left out of a run or an exercise.
    """
    found, missing = load_connectors()
    if missing:
        raise ConfigError(
            f"{len(missing)} connector(s) cannot be loaded: {'; '.join(missing.values())}",
            hint="fix the modules named, or run the others one by one with --org",
        )
    return found


def load_connectors() -> tuple[list[Connector], dict[str, str]]:
    """The connectors that load, in registry order, and the others with the reason.

    For listings that show what is there and say what is not (``connector formats``).
    """
    found: list[Connector] = []
    missing: dict[str, str] = {}
    for org in CONNECTOR_MODULES:
        try:
            found.append(_load(org)())
        except ConfigError as exc:
            missing[org.value] = exc.message
    return found, missing


def unavailable_connectors() -> dict[str, str]:
    """Organizations whose connector cannot be loaded, with the reason."""
    return load_connectors()[1]
