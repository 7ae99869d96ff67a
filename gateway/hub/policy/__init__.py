"""The sharing policy: its file, its decisions, and the neutrality review rules."""
