"""Benchmarks: webhook latency against a floor, memory, dispatch, matching, time to a human (BENCHMARKS.md)."""
