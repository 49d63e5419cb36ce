"""Data import: sniffing, CSV/XLSX/Parquet into DuckDB, provenance, the import cache, column mapping and validation."""
