"""Stream an export's mapped columns as Arrow record batches, never the whole file at once.

CSV (any one-character delimiter) goes through pyarrow's streaming CSV reader (blocks of
`BLOCK_BYTES`, parsed on both cores), Parquet through its row groups. Only the columns the
mapping names are read. Numbers are parsed by the reader itself (the fast path); when a
value does not parse, the file is scanned again as text to name the line and column of
the first bad value in one sentence (`where`). Empty lines are kept as rows of nulls, so a
CSV row's line number is its index plus 2 (after the header) and every source line reaches
bronze (rows without turbine or time end in quarantine as `missing:...`).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from workloads.errors import WindmillError
from workloads.ingest.mapping import Mapping

BLOCK_BYTES = 8 << 20
PARQUET_BATCH_ROWS = 65_536


def where(path: Path, fmt: str, row_index: int, column: str | None = None) -> str:
    """`file F, line N, column "C"` (CSV: the header is line 1) or `row N` for Parquet."""
    place = f"line {row_index + 2}" if fmt == "csv" else f"row {row_index + 1}"
    return f"{path}, {place}" + (f", column {column!r}" if column else "")


@dataclass
class Progress:
    """What a reader has consumed so far, in its own unit (bytes for CSV, rows for Parquet)."""

    total: int
    unit: str
    done: int = 0


class _Counting(io.RawIOBase):
    """A binary file that counts the bytes read from it (the CSV progress bar)."""

    def __init__(self, path: Path, progress: Progress) -> None:
        self._file = open(path, "rb")  # noqa: SIM115 (closed with the reader)
        self._progress = progress

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        count = self._file.readinto(buffer)
        self._progress.done += count or 0
        return count

    def close(self) -> None:
        self._file.close()
        super().close()


def csv_header(path: Path, delimiter: str) -> list[str]:
    """The export's column names (first line; a UTF-8 byte-order mark is dropped)."""
    try:
        with open(path, encoding="utf-8-sig", newline="") as handle:
            first = handle.readline()
    except UnicodeDecodeError:
        raise WindmillError(f"{path}, line 1: the file is not UTF-8 text.") from None
    if not first.strip():
        raise WindmillError(f"{path}, line 1: no header line (the file is empty).")
    return next(csv.reader([first], delimiter=delimiter))


def source_columns(path: Path, mapping: Mapping) -> list[str]:
    """The file's column names, or one error naming the first mapped column it lacks."""
    if mapping.format == "csv":
        names = csv_header(path, mapping.delimiter)
    else:
        import pyarrow.parquet as pq

        names = pq.ParquetFile(path).schema_arrow.names
    for column in mapping.source_columns():
        if column not in names:
            raise WindmillError(
                f"{where(path, mapping.format, -1, column)}: the mapping reads this column but "
                f"the file has none of that name (it has {', '.join(names[:12])}"
                f"{', …' if len(names) > 12 else ''})."
            )
    return names


def _csv_reader(path: Path, mapping: Mapping, numeric: set[str], raw, on_invalid=None):
    import pyarrow as pa
    import pyarrow.csv as pcsv

    columns = mapping.source_columns()
    types = {name: (pa.float64() if name in numeric else pa.string()) for name in columns}
    return pcsv.open_csv(
        raw,
        read_options=pcsv.ReadOptions(block_size=BLOCK_BYTES, use_threads=True),
        parse_options=pcsv.ParseOptions(
            delimiter=mapping.delimiter, ignore_empty_lines=False, invalid_row_handler=on_invalid
        ),
        convert_options=pcsv.ConvertOptions(
            include_columns=columns, column_types=types, strings_can_be_null=True
        ),
    )


def _first_bad_number(path: Path, mapping: Mapping, numeric: set[str]) -> str:
    """The sentence for the first value of a numeric column that is not a number."""
    import pyarrow.compute as pc

    offset = 0
    with open(path, "rb") as raw:
        for batch in _csv_reader(path, mapping, set(), raw):
            for name in sorted(numeric):
                text = batch.column(batch.schema.get_field_index(name))
                for index, value in enumerate(pc.utf8_trim_whitespace(text).to_pylist()):
                    if value in (None, "") or _is_number(value):
                        continue
                    return (
                        f"{where(path, 'csv', offset + index, name)}: {value!r} is not a number "
                        "(decimals are written with a point)."
                    )
            offset += batch.num_rows
    return f"{path}: a numeric column holds a value that is not a number."


def _first_short_line(path: Path, delimiter: str, columns: int) -> int | None:
    """Line number of the first row with `columns` fields (the parallel reader may not know)."""
    with open(path, encoding="utf-8-sig", newline="") as handle:
        for number, row in enumerate(csv.reader(handle, delimiter=delimiter), start=1):
            if row and len(row) == columns:
                return number
    return None


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return text.strip().lower() in {"na", "n/a", "nan", "-nan", "null", "none", "#n/a"}
    return True


def csv_batches(
    path: Path, mapping: Mapping, numeric: set[str], progress: Progress
) -> Iterator[tuple[int, object]]:
    """(index of the first row, record batch) of the mapped columns, in file order."""
    import pyarrow as pa

    invalid: list = []

    def on_invalid(row):
        invalid.append(row)
        return "error"

    offset = 0
    raw = _Counting(path, progress)
    try:
        reader = _csv_reader(path, mapping, numeric, raw, on_invalid)
        for batch in reader:
            yield offset, batch
            offset += batch.num_rows
    except pa.ArrowInvalid as exc:
        if invalid:
            row = invalid[0]
            number = row.number or _first_short_line(path, mapping.delimiter, row.actual_columns)
            line = f"line {number}" if number else "a line"
            raise WindmillError(
                f"{path}, {line}: expected {row.expected_columns} columns separated by "
                f"{mapping.delimiter!r}, found {row.actual_columns}."
            ) from None
        if "conversion error" in str(exc):
            raise WindmillError(_first_bad_number(path, mapping, numeric)) from None
        raise WindmillError(f"{path} cannot be read as CSV ({str(exc).splitlines()[0]}).") from None
    finally:
        raw.close()


def parquet_batches(
    path: Path, mapping: Mapping, progress: Progress
) -> Iterator[tuple[int, object]]:
    """(index of the first row, record batch) of the mapped columns, row group by row group."""
    import pyarrow.parquet as pq

    offset = 0
    for batch in pq.ParquetFile(path).iter_batches(
        batch_size=PARQUET_BATCH_ROWS, columns=mapping.source_columns()
    ):
        yield offset, batch
        offset += batch.num_rows
        progress.done = offset


def open_export(
    path: Path, mapping: Mapping, numeric: set[str]
) -> tuple[Progress, Callable[[], Iterator[tuple[int, object]]]]:
    """(progress, batches()) for one export file, after checking its columns."""
    if not path.is_file():
        raise WindmillError(f"{path} does not exist (or is not a file).")
    source_columns(path, mapping)
    if mapping.format == "csv":
        progress = Progress(total=path.stat().st_size, unit="B")
        return progress, lambda: csv_batches(path, mapping, numeric, progress)
    import pyarrow.parquet as pq

    progress = Progress(total=pq.ParquetFile(path).metadata.num_rows, unit="rows")
    return progress, lambda: parquet_batches(path, mapping, progress)
