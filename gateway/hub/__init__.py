"""The routing hub (the I-24/7 hub): decisions, state, review hold, audit, metrics."""
