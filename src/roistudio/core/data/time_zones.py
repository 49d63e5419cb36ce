"""The time zone a zone-aware time column is bucketed in: the data's own where it is recoverable.

A Parquet file's Arrow schema names the zone of its zone-aware timestamps; a CSV's offsets are
gone once DuckDB has parsed them (UTC then). Zone names are checked against DuckDB's own list.
"""

from __future__ import annotations

import duckdb

from roistudio.core.errors import MappingError


def check_time_zone(con: duckdb.DuckDBPyConnection, zone: object) -> str:
    """DuckDB's own spelling of the time zone ``zone`` (``asia/tokyo`` -> ``Asia/Tokyo``).

    Raises
    ------
    MappingError
        When DuckDB does not know the zone.
    """
    row = con.execute(
        "SELECT name FROM pg_timezone_names() WHERE lower(name) = lower($zone) ORDER BY name = $zone DESC LIMIT 1",
        {"zone": str(zone).strip()},
    ).fetchone()
    if row is None or not isinstance(zone, str):
        raise MappingError(f"unknown time zone '{zone}'; use a name such as Europe/Paris or UTC")
    return str(row[0])


def parquet_time_zones(path: str) -> dict[str, str]:
    """Column -> time zone named in a Parquet file's Arrow schema; empty when it names none.

    pandas, pyarrow and polars write it for zone-aware timestamps; a file that cannot be read that
    way gives an empty mapping too.
    """
    try:
        import pyarrow.parquet as pq

        schema = pq.read_schema(path)
    except Exception:  # not Parquet, unreadable, or no Arrow schema: nothing recoverable
        return {}
    return {field.name: str(field.type.tz) for field in schema if getattr(field.type, "tz", None)}


def data_time_zones(con: duckdb.DuckDBPyConnection, path: str, file_format: str) -> dict[str, str]:
    """Column -> the data's own time zone, where the file records one DuckDB knows.

    Only Parquet files record it (:func:`parquet_time_zones`); a CSV's offsets are gone once
    DuckDB has parsed them, so its zone-aware columns are bucketed in UTC.
    """
    if file_format != "parquet":
        return {}
    known = {}
    for column, zone in parquet_time_zones(path).items():
        try:
            known[column] = check_time_zone(con, zone)
        except MappingError:
            continue  # a fixed offset such as '+09:00' that DuckDB cannot name: UTC then
    return known
