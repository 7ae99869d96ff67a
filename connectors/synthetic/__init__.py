"""Realistic native payloads for simulation, benchmarks and tests: one generator per org."""
