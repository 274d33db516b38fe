"""What one `windmill generate` invocation writes: the generator's settings and their defaults.

The one home of the generator's defaults: `windmill generate`'s flags, `windmill up`'s
stack options and the Databricks generator job (infra/config.py) all read them from
`GeneratorConfig`'s field defaults (`default(name)`). Pure Python, cheap to import.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import datetime
from pathlib import Path

from workloads.errors import WindmillError

MAX_TURBINES = 99_999  # turbine ids have five digits


@dataclass(frozen=True)
class GeneratorConfig:
    """What one `windmill generate` invocation writes (see its --help)."""

    records_per_batch: int = 10
    batch_interval: float = 15.0
    max_iterations: int = 100_000
    turbines: int = 100
    seed: int = 42
    start: datetime | None = None
    backfill_hours: float | None = None
    reading_interval: float = 60.0
    backfill_batch_size: int = 100_000  # readings per file (rounded to whole time steps)
    bad_record_rate: float = 0.0
    landing: Path | None = None
    batches_per_job: int | None = None  # backfill files per Spark job (default: its cores)
    # Where a backfill's lines are built: "spark" (dbldatagen, a classic session), "python"
    # (this process, the streaming generator's recipe) or "auto" (python up to
    # generate.IN_PROCESS_READINGS readings, where a JVM's start would be most of the time).
    backfill_engine: str = "auto"

    def validate(self) -> None:
        if not 1 <= self.turbines <= MAX_TURBINES:
            raise WindmillError(f"--turbines must be between 1 and {MAX_TURBINES}.")
        if self.backfill_hours is not None:
            if self.reading_interval * 1000 < 1:
                raise WindmillError("--reading-interval must be at least 0.001 seconds.")
            if self.backfill_steps() < 1:
                raise WindmillError(
                    "--backfill-hours is shorter than one --reading-interval; "
                    "write more hours or read more often."
                )

    @property
    def interval_ms(self) -> int:
        return max(1, round(self.reading_interval * 1000))

    def backfill_steps(self) -> int:
        return int((self.backfill_hours or 0) * 3_600_000 // self.interval_ms)


def default(name: str):
    """The default of one `GeneratorConfig` field."""
    return next(f.default for f in fields(GeneratorConfig) if f.name == name)
