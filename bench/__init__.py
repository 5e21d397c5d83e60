"""Benchmarks behind `caseway bench NAME`: each runs in a fresh database of its own, prints
a readable table and ends with one line of JSON holding its figures."""
