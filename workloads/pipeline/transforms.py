"""The bronze and silver transforms: pure `DataFrame -> DataFrame` functions (gold: gold.py).

The dataset files under `transformations/` are thin decorators around these; unit
tests call them directly on hand-made rows. Configuration comes in as arguments
(see `settings.py`), never from globals; so does the turbine registry (a static frame
with `workloads.registry.COLUMNS`, joined to the stream: ids it lists are valid and
their rated power and position apply; None = no registry).
"""

from __future__ import annotations

from collections.abc import Mapping

from workloads.contract import COLUMN_NAMES, DIRECTION_COLUMNS, FAULT_FIELDS, RAW_COLUMNS
from workloads.pipeline import rules

BRONZE_COLUMNS = ("raw", "source_file", "ingested_at")
SILVER_KEY = ("turbine_id", "timestamp")
SILVER_COLUMNS = (*COLUMN_NAMES, "reading_date")
QUARANTINE_COLUMNS = ("raw", "source_file", "ingested_at", "rejection_reasons", *COLUMN_NAMES)

_INPUTS = rules.RuleInputs()


# Bronze ------------------------------------------------------------------------------------


def bronze_lines(lines, source_file, ingested_at):
    """Bronze rows from a text source: every line kept as `raw`, with its file and ingestion time.

    `lines` has the text source's `value` column; `source_file` and `ingested_at` are Columns.
    """
    return lines.select(
        lines["value"].alias("raw"),
        source_file.cast("string").alias("source_file"),
        ingested_at.cast("timestamp").alias("ingested_at"),
    )


# Silver and quarantine -----------------------------------------------------------------------


def _text_schema() -> str:
    fields = [f"`{name}` string" for name in COLUMN_NAMES]
    return ", ".join([*fields, f"`{_INPUTS.corrupt}` string"])


# The JSON token each column's value must be: numbers for double columns, true/false for
# boolean ones. String and timestamp columns are probed as numbers: a number there is the
# wrong type. (true/false in a string column reads as the text "true"/"false", which the
# turbine id pattern and the fault code and alert level lists already reject.)
_TOKEN_TYPES = {"double": "double", "boolean": "boolean", "string": "double", "timestamp": "double"}


def _token_schema() -> str:
    return ", ".join(f"`{name}` {_TOKEN_TYPES[kind]}" for name, kind in RAW_COLUMNS)


def parse_lines(bronze):
    """Bronze rows plus the contract columns, typed, and the raw text of each value.

    Nothing fails here: a value that does not fit its type becomes null, and the
    rules see both the raw text and the typed value to tell "missing" from "wrong type".
    Types are strict JSON types: numbers and booleans come from the JSON parser, which
    takes only a JSON number for a double and only true/false for a boolean (a cast of
    the text would accept "12.5" for a number and "yes", "y" or 1 for a boolean);
    strings and ISO timestamps must be JSON strings.
    """
    from pyspark.sql import functions as F

    options = {"mode": "PERMISSIVE", "columnNameOfCorruptRecord": _INPUTS.corrupt}
    parsed = F.from_json(F.col("raw"), _text_schema(), options)
    # Per field, the parser keeps what fits and nulls the rest (partial results).
    tokens = F.from_json(F.col("raw"), _token_schema(), {"mode": "PERMISSIVE"})
    frame = bronze.select(*BRONZE_COLUMNS, parsed.alias("_json"), tokens.alias("_token"))
    # A line that is not a JSON object (garbage, empty, `null`, an array) counts as corrupt.
    corrupt = F.when(
        F.col("_json").isNull() | (F.trim(F.col("raw")) == ""), F.coalesce(F.col("raw"), F.lit(""))
    ).otherwise(F.col(f"_json.{_INPUTS.corrupt}"))
    texts = [F.col(f"_json.`{name}`").alias(_INPUTS.text_prefix + name) for name in COLUMN_NAMES]

    def typed(name: str, kind: str):
        text, token = F.col(f"_json.`{name}`"), F.col(f"_token.`{name}`")
        if name in DIRECTION_COLUMNS:  # 360 degrees is north, stored as 0
            return F.when(token == 360.0, F.lit(0.0)).otherwise(token).alias(name)
        if kind in ("double", "boolean"):
            return token.alias(name)
        not_a_number = token.isNull()
        if kind == "timestamp":
            return F.when(not_a_number, text.try_cast(kind)).alias(name)
        return F.when(not_a_number, text).alias(name)

    typed_columns = [typed(name, kind) for name, kind in RAW_COLUMNS]
    return frame.select(*BRONZE_COLUMNS, corrupt.alias(_INPUTS.corrupt), *texts, *typed_columns)


_REGISTRY_ID = "_registry_turbine_id"
_REGISTRY_POSITION = {"latitude": "_registry_latitude", "longitude": "_registry_longitude"}


def with_registry(parsed, registry=None):
    """Parsed rows plus what the registry knows of their turbine (nulls when it is not there).

    A left stream-static join on turbine_id (broadcast: the registry is small), so a line
    of an unknown turbine stays a row (and is quarantined as `invalid_turbine_id` unless
    its id has the generator's pattern).
    """
    from pyspark.sql import functions as F

    if registry is None:
        return parsed.select(
            "*",
            F.lit(None).cast("boolean").alias(_INPUTS.registered),
            F.lit(None).cast("double").alias(_INPUTS.rated_power),
            *[F.lit(None).cast("double").alias(alias) for alias in _REGISTRY_POSITION.values()],
        )
    known = registry.select(
        F.col("turbine_id").alias(_REGISTRY_ID),
        F.lit(True).alias(_INPUTS.registered),
        F.col("rated_power_kw").cast("double").alias(_INPUTS.rated_power),
        *[F.col(name).cast("double").alias(alias) for name, alias in _REGISTRY_POSITION.items()],
    ).dropDuplicates([_REGISTRY_ID])
    # The registry's id column stays (no `drop`: over Spark Connect the server analyzes a
    # drop at once, which in a pipeline loses the flow's dependency on bronze).
    return parsed.join(F.broadcast(known), F.col("turbine_id") == F.col(_REGISTRY_ID), "left_outer")


def validate(
    bronze,
    thresholds: Mapping[str, float] | None,
    future_tolerance_minutes: float,
    registry=None,
):
    """Parsed bronze rows with the registry's columns and `rejection_reasons` (empty = valid)."""
    parsed = with_registry(parse_lines(bronze), registry)
    reasons = rules.rejection_reasons(thresholds, future_tolerance_minutes, _INPUTS)
    return parsed.select("*", reasons.alias("rejection_reasons"))


def _silver_columns(thresholds: Mapping[str, float] | None) -> list:
    """The contract columns silver keeps: fault fields derived when the line has none, the
    position from the registry when the line has none."""
    from pyspark.sql import functions as F

    derived = dict(
        zip(FAULT_FIELDS, rules.derived_classification(thresholds, _INPUTS), strict=True)
    )
    columns = []
    for name in COLUMN_NAMES:
        if name in derived:
            columns.append(derived[name])
        elif name in _REGISTRY_POSITION:
            columns.append(F.coalesce(F.col(name), F.col(_REGISTRY_POSITION[name])).alias(name))
        else:
            columns.append(F.col(name))
    return columns


def silver_readings(
    bronze,
    thresholds: Mapping[str, float] | None = None,
    future_tolerance_minutes: float = 10.0,
    *,
    streaming: bool = True,
    registry=None,
):
    """Valid readings, typed, deduplicated on (turbine_id, timestamp), with `reading_date`.

    On a stream, the caller puts a watermark on `ingested_at` first: duplicates are
    dropped when they arrive within the watermark delay of the first copy, and the
    deduplication state forgets keys older than that, so it stays bounded.
    `ingested_at` is the pipeline's own clock, so no data value can move the
    watermark or make a valid row "late". `streaming=False` deduplicates a batch frame.
    """
    from pyspark.sql import functions as F

    valid = validate(bronze, thresholds, future_tolerance_minutes, registry).filter(
        F.size("rejection_reasons") == 0
    )
    key = list(SILVER_KEY)
    unique = valid.dropDuplicatesWithinWatermark(key) if streaming else valid.dropDuplicates(key)
    return unique.select(*_silver_columns(thresholds), F.to_date("timestamp").alias("reading_date"))


def quarantined_rows(
    bronze,
    thresholds: Mapping[str, float] | None = None,
    future_tolerance_minutes: float = 10.0,
    registry=None,
):
    """Rejected lines: the raw text, where it came from, every rule broken, and what parsed."""
    from pyspark.sql import functions as F

    checked = validate(bronze, thresholds, future_tolerance_minutes, registry)
    return checked.filter(F.size("rejection_reasons") > 0).select(*QUARANTINE_COLUMNS)
