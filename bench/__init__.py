"""Benchmarks: each module prints the figures it measured (`make bench`)."""
