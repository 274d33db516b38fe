"""The mapping's [assets] file as turbine registry rows (`workloads.registry.COLUMNS`)."""

from __future__ import annotations

import csv
from pathlib import Path

from workloads.errors import WindmillError
from workloads.ingest.mapping import Assets

_DELIMITERS = ",;\t|"


def _read(path: Path, columns: list[str]):
    """The named columns of a CSV (delimiter sniffed from the header) or Parquet file, as text."""
    import pyarrow as pa
    import pyarrow.csv as pcsv
    import pyarrow.parquet as pq

    if path.suffix.lower() in (".parquet", ".pq"):
        table = pq.read_table(path)
        header = table.column_names
        place = "row 1"
    else:
        with open(path, encoding="utf-8-sig", newline="") as handle:
            first = handle.readline()
        try:
            delimiter = csv.Sniffer().sniff(first, delimiters=_DELIMITERS).delimiter
        except csv.Error:
            delimiter = ","
        header = next(csv.reader([first], delimiter=delimiter)) if first.strip() else []
        place = "line 1"
        table = None
    for column in columns:
        if column not in header:
            raise WindmillError(
                f"{path}, {place}, column {column!r}: the mapping's [assets] reads this column "
                f"but the file has none of that name (it has {', '.join(header)})."
            )
    if table is None:
        table = pcsv.read_csv(
            path,
            parse_options=pcsv.ParseOptions(delimiter=delimiter),
            convert_options=pcsv.ConvertOptions(
                include_columns=columns,
                column_types=dict.fromkeys(columns, pa.string()),
                strings_can_be_null=True,
            ),
        )
    return table.select(columns).to_pandas()


def registry_rows(assets: Assets):
    """One registry row per turbine of the assets file (model unknown: null)."""
    import pandas as pd

    from workloads import registry

    columns = [assets.turbine, assets.latitude, assets.longitude, assets.rated_power_kw]
    if assets.site:
        columns.append(assets.site)
    frame = _read(assets.file, list(dict.fromkeys(columns)))
    numeric = {"latitude": assets.latitude, "longitude": assets.longitude}
    numeric["rated_power_kw"] = assets.rated_power_kw
    out = pd.DataFrame({"turbine_id": frame[assets.turbine].astype(object).str.strip()})
    out["site"] = frame[assets.site] if assets.site else assets.site_name
    for name, column in numeric.items():
        values = pd.to_numeric(frame[column].str.strip(), errors="coerce")
        bad = values.isna() & frame[column].notna() & (frame[column].str.strip() != "")
        if bad.any():
            index = int(bad.idxmax())
            raise WindmillError(
                f"{assets.file}, line {index + 2}, column {column!r}: "
                f"{frame[column].iloc[index]!r} is not a number."
            )
        out[name] = values
    out["model"] = None
    return registry.check(out, source=str(assets.file))
