"""Benchmarks B1–B6 (see BENCHMARKS.md)."""
