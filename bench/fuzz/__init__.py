"""Hostile and broken input at scale: ``python -m bench.fuzz`` (``make fuzz``, docs/fuzz.md)."""
