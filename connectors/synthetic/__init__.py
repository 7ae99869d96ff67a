"""Realistic native payloads for simulation, benchmarks and tests: one generator per org.

A generator depends on its organization's parser (to read back what it published before),
never the reverse: the parsers in ``connectors/<org>.py`` know nothing of this package.
Each ``connectors/synthetic/<org>.py`` module defines ``generate`` and ``revise`` (and
``generate_documents`` when the organization also exports stolen and lost travel documents);
:func:`get_generator` finds it by the organization's contract code, imported on first use
so that only simulation, benchmarks and tests pay for the generators.
"""

from __future__ import annotations

import importlib
import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from connectors.base import RawRecord, Revision
from gateway.contract import Org
from gateway.errors import ConfigError

__all__ = ["Generate", "Generator", "generator_module", "get_generator"]

Generate = Callable[[random.Random, int, datetime], bytes]
Revise = Callable[[random.Random, RawRecord, datetime, Revision], bytes]


@dataclass(frozen=True)
class Generator:
    """One organization's synthetic traffic: new payloads and revisions of published records.

    ``generate(rng, count, now)`` is one native payload with ``count`` valid records (ids
    unique per ``rng`` state, the same seed gives the same payload); ``revise(rng, record,
    now, change)`` a payload revising one record published before: ``update``, ``narrow``
    (fewer recipients), ``raise_red`` (TLP:RED naming one or two countries) or ``cancel``,
    mapping to an UPDATE or CANCEL of the same alert id at a higher version. A withdrawn
    record is only ever withdrawn again; a record the parser refuses raises ValueError.

    ``generate_documents(rng, count, now)``, for organizations that export stolen and lost
    travel documents (INTERPOL's SLTD, ASEANAPOL's e-ADS), is a payload of ``count``
    TRAVEL_DOCUMENT records, revised by the same ``revise``; None for the others. ``generate``
    never writes documents, so an exercise's traffic is unchanged by them.
    """

    org: Org
    generate: Generate
    revise: Revise
    generate_documents: Generate | None = None


def generator_module(org: Org) -> str:
    """The module holding an organization's generator: ``connectors.synthetic.<org>``."""
    return f"{__name__}.{org.value.lower()}"


def get_generator(org: str) -> Generator:
    """The generator of an organization (case-insensitive), or ConfigError."""
    key = org.strip().upper()
    if key not in Org.__members__:
        raise ConfigError(
            f"unknown organization {org!r}", hint=f"use one of: {', '.join(o.value for o in Org)}"
        )
    code = Org[key]
    module_name = generator_module(code)
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise ConfigError(
            f"the {code.value} generator cannot be loaded: {type(exc).__name__}: {exc}",
            hint=f"add {module_name.replace('.', '/')}.py with generate() and revise()",
        ) from exc
    return Generator(
        code, module.generate, module.revise, getattr(module, "generate_documents", None)
    )
