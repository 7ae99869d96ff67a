"""``frontline simulate``: a multi-organization exercise on the real broker, with a report."""

__all__: list[str] = []
