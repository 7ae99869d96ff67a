"""The national node: one country's node topic in, each alert to its border posts' feeds."""
