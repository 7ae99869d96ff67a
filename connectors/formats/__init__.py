"""Field, date, choice and script helpers the organization parsers share (one copy of each)."""
