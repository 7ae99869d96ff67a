"""One adapter per organization: native exports in, validated Avro alerts out."""

from connectors.base import Accepted, Connector, ConnectorError, RawRecord, Refused, process
from connectors.registry import all_connectors, get_connector

__all__ = [
    "Accepted",
    "Connector",
    "ConnectorError",
    "RawRecord",
    "Refused",
    "all_connectors",
    "get_connector",
    "process",
]
