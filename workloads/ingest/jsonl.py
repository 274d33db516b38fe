"""Arrow tables as JSON lines, built with Arrow compute (no Python loop over rows).

Each column becomes its JSON text (numbers by Arrow's shortest round-trip formatting,
non-finite and null as `null`; strings quoted and escaped; instants as ISO 8601 UTC with
milliseconds and `Z`, as the generator writes them), the texts are joined element-wise
into one line per row, and the lines' bytes are handed over without a copy.
"""

from __future__ import annotations

import json


def _quoted(text):
    import pyarrow.compute as pc

    escaped = pc.replace_substring(text, "\\", "\\\\")
    escaped = pc.replace_substring(escaped, '"', '\\"')
    if pc.any(pc.match_substring_regex(escaped, r"[\x00-\x1f]")).as_py():
        escaped = pc.replace_substring_regex(escaped, r"[\x00-\x1f]", " ")
    return pc.binary_join_element_wise('"', escaped, '"', "")


def json_values(values):
    """The JSON text of each value of an Arrow array (null: `null`)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    kind = values.type
    if pa.types.is_floating(kind) or pa.types.is_integer(kind):
        text = values.cast(pa.string())
        if pa.types.is_floating(kind):
            finite = pc.fill_null(pc.is_finite(values), False)
            text = pc.if_else(finite, text, pa.scalar(None, pa.string()))
    elif pa.types.is_boolean(kind):
        text = pc.if_else(values, "true", "false")
    elif pa.types.is_timestamp(kind):
        # UTC wall time as a naive timestamp: its cast to text skips the time-zone database
        # (30x faster than strftime), then "2017-01-01 00:00:00.000" gets its T and Z.
        wall = values.cast(pa.timestamp("ms", tz="UTC")).cast(pa.timestamp("ms"))
        iso = pc.replace_substring(wall.cast(pa.string()), " ", "T", max_replacements=1)
        text = pc.binary_join_element_wise('"', iso, 'Z"', "")
    else:
        text = _quoted(values.cast(pa.string()))
    return pc.fill_null(text, "null")


def encode(table, constants: dict[str, object] | None = None) -> memoryview:
    """The rows of `table` as JSON-lines bytes (one object a line, every column, in order),
    each line ending with `constants` (the same values on every row, encoded once)."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    if table.num_rows == 0:
        return memoryview(b"")
    pieces: list = []
    for index, name in enumerate(table.column_names):
        pieces.append(("{" if index == 0 else ",") + json.dumps(name) + ":")
        pieces.append(json_values(table.column(name).combine_chunks()))
    tail = "".join(f",{json.dumps(k)}:{json.dumps(v)}" for k, v in (constants or {}).items())
    pieces.append(tail + "}\n")
    lines = pc.binary_join_element_wise(*pieces, "")
    lines = lines.combine_chunks() if isinstance(lines, pa.ChunkedArray) else lines
    lines = lines.cast(pa.large_string())
    _validity, offsets, data = lines.buffers()
    bounds = np.frombuffer(offsets, dtype=np.int64)[lines.offset : lines.offset + len(lines) + 1]
    return memoryview(data)[int(bounds[0]) : int(bounds[-1])]
