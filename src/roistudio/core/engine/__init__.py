"""The engine: curves, filters, the sweep aggregation, analysis, live-formula aggregates and the JSON contract."""
