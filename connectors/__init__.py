"""One adapter per organization: native exports in, validated Avro alerts out."""

__all__: list[str] = []
