"""The headless engine: import, mapping, payoff language, sweeps, comparison, projects.

Imports numpy, pandas and duckdb only; never Qt, matplotlib or report libraries.
"""
