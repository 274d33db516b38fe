"""Configuration of the medallion pipeline: one place for every `windmill.*` key.

Dataset files read these with `spark.conf.get("windmill.<key>", default)` (through
`read_settings`), so catalog, schema, landing path and thresholds come from the
pipeline's configuration, not code: the local engine passes them in its spec, and on
Databricks the infra declares them in the pipeline's `configuration` block using
`pipeline_configuration()` and `DATASET_FILES` below.

Pure Python (no pyspark import) so infra and tests can import it cheaply.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from pathlib import Path

from workloads.contract import DEFAULT_THRESHOLDS, FAULT_CODES
from workloads.names import PIPELINE_TABLES

PREFIX = "windmill."

# Keys (without the prefix) and their defaults, as strings (pipeline configuration is str -> str).
LANDING_PATH = "landing_path"
LANDING_FORMAT = "landing_format"  # "jsonl": JSON lines, one reading per line
LANDING_GLOB = "landing_glob"  # only finished files; the generator's temp names start with "."
AUTOLOADER = "autoloader"  # "auto" (use cloudFiles where the runtime has it), "true", "false"
MAX_FILES_PER_TRIGGER = "max_files_per_trigger"
# How Auto Loader finds new landing files (Databricks only; see FILE_DISCOVERY_MODES).
FILE_DISCOVERY = "file_discovery"
FUTURE_TOLERANCE_MINUTES = "future_tolerance_minutes"
DEDUP_WINDOW_HOURS = "dedup_window_hours"  # watermark: how late a duplicate may arrive
ALERT_WINDOW_HOURS = "alert_window_hours"  # an alert episode is open if seen this recently
STATUS_WINDOW_HOURS = "status_window_hours"  # turbines that reported this recently
HOURLY_WINDOW_HOURS = "hourly_window_hours"  # hours shown by gold_fleet_hourly
FAULT_WINDOW_HOURS = "fault_window_hours"  # history summarised by gold_fault_summary
AS_OF = "as_of"  # ISO timestamp the gold windows end at; empty = now; "latest" = the data's end
EPISODE_GAP_MINUTES = "episode_gap_minutes"  # a fault episode ends after this long without it
EPISODE_LATENESS_HOURS = "episode_lateness_hours"  # how late (data time) a reading may arrive
THRESHOLD_PREFIX = "threshold."  # windmill.threshold.<FAULT_CODE>

LANDING_FORMATS = ("jsonl",)
# The `windmill.file_discovery` modes and the Auto Loader options each adds. "listing":
# Auto Loader lists the landing folder (no setup; the listing grows with the folder).
# "file_events": file notifications from the file events Unity Catalog keeps for the
# landing volume's storage location (file events must be enabled on that external
# location). "notifications": the legacy mode, a queue per stream that Auto Loader sets
# up itself (it needs cloud permissions to create the queue). The local engine has no
# Auto Loader and always reads the folder.
FILE_DISCOVERY_OPTIONS: dict[str, dict[str, str]] = {
    "listing": {},
    "file_events": {"cloudFiles.useManagedFileEvents": "true"},
    "notifications": {"cloudFiles.useNotifications": "true"},
}
FILE_DISCOVERY_MODES = tuple(FILE_DISCOVERY_OPTIONS)

DEFAULTS: dict[str, str] = {
    LANDING_PATH: "",
    LANDING_FORMAT: "jsonl",
    LANDING_GLOB: "[!.]*.jsonl",
    AUTOLOADER: "auto",
    MAX_FILES_PER_TRIGGER: "1000",
    FILE_DISCOVERY: "listing",
    FUTURE_TOLERANCE_MINUTES: "10",
    DEDUP_WINDOW_HOURS: "24",
    # Gold views read only these windows of silver (what the dashboard shows), so an
    # update's cost does not grow with the history kept in silver.
    ALERT_WINDOW_HOURS: "24",
    STATUS_WINDOW_HOURS: "24",
    HOURLY_WINDOW_HOURS: "48",
    FAULT_WINDOW_HOURS: "24",
    AS_OF: "",
    EPISODE_GAP_MINUTES: "30",
    EPISODE_LATENESS_HOURS: "24",
    **{f"{THRESHOLD_PREFIX}{code}": repr(float(v)) for code, v in DEFAULT_THRESHOLDS.items()},
}

# The dataset definitions, one per file, relative to the repository root (Databricks
# pipeline `libraries`; the local engine's spec globs the same folder). Derived from
# the folder, like a bundle's `transformations/**` glob: a new dataset file is listed
# by being there. Listed in medallion order (names.PIPELINE_TABLES), then by name.
TRANSFORMATIONS_DIR = "workloads/pipeline/transformations"


def transformations_dir() -> Path:
    """Absolute folder of the dataset files in this checkout or installed wheel."""
    return Path(__file__).resolve().parent / "transformations"


def _medallion_order(path: Path) -> tuple[int, str]:
    known = PIPELINE_TABLES.index(path.stem) if path.stem in PIPELINE_TABLES else None
    return (len(PIPELINE_TABLES) if known is None else known, path.name)


DATASET_FILES: tuple[str, ...] = tuple(
    f"{TRANSFORMATIONS_DIR}/{path.name}"
    for path in sorted(transformations_dir().glob("*.py"), key=_medallion_order)
    if not path.name.startswith("_")
)


def pipeline_configuration(landing_path: str, **overrides: object) -> dict[str, str]:
    """The pipeline `configuration` map (keys prefixed `windmill.`), defaults filled in.

    `overrides` use the key names above without the prefix; thresholds may be given
    as `threshold_GEARBOX_OVERHEAT=85` or `**{"threshold.GEARBOX_OVERHEAT": 85}`.
    """
    values = dict(DEFAULTS)
    values[LANDING_PATH] = str(landing_path)
    for key, value in overrides.items():
        if key.startswith("threshold_"):
            key = THRESHOLD_PREFIX + key.removeprefix("threshold_")
        if key not in DEFAULTS:
            raise KeyError(f"unknown pipeline setting {key!r}")
        values[key] = str(value)
    return {PREFIX + key: value for key, value in values.items()}


@dataclass(frozen=True)
class Settings:
    """Typed view of the configuration, as the dataset files use it."""

    landing_path: str
    landing_format: str = "jsonl"
    landing_glob: str = DEFAULTS[LANDING_GLOB]
    autoloader: str = "auto"
    max_files_per_trigger: int = 1000
    file_discovery: str = "listing"
    future_tolerance_minutes: float = 10.0
    dedup_window_hours: float = 24.0
    alert_window_hours: float = 24.0
    status_window_hours: float = 24.0
    hourly_window_hours: float = 48.0
    fault_window_hours: float = 24.0
    as_of: str = ""
    episode_gap_minutes: float = 30.0
    episode_lateness_hours: float = 24.0
    thresholds: Mapping[str, float] = field(default_factory=lambda: dict(DEFAULT_THRESHOLDS))


# Fault segments are kept per turbine and this many minutes of data time (gold.py); an
# episode gap shorter than a segment could hide inside one, so it is refused.
SEGMENT_MINUTES = 10


def _episode_gap(raw: str) -> float:
    gap = float(raw)
    if gap < SEGMENT_MINUTES:
        raise ValueError(
            f"windmill.{EPISODE_GAP_MINUTES} must be at least {SEGMENT_MINUTES} minutes, not {raw}"
        )
    return gap


def settings_from(get) -> Settings:
    """Build Settings from a getter `get(full_key, default) -> str` (e.g. `spark.conf.get`)."""

    def value(key: str) -> str:
        raw = get(PREFIX + key, DEFAULTS[key])
        return DEFAULTS[key] if raw is None else str(raw)

    fmt = value(LANDING_FORMAT)
    if fmt not in LANDING_FORMATS:
        raise ValueError(f"windmill.{LANDING_FORMAT} must be one of {LANDING_FORMATS}, not {fmt!r}")
    discovery = value(FILE_DISCOVERY).strip().lower()
    if discovery not in FILE_DISCOVERY_MODES:
        raise ValueError(
            f"windmill.{FILE_DISCOVERY} must be one of {FILE_DISCOVERY_MODES}, not {discovery!r}"
        )
    return Settings(
        landing_path=value(LANDING_PATH),
        landing_format=fmt,
        landing_glob=value(LANDING_GLOB),
        autoloader=value(AUTOLOADER).lower(),
        max_files_per_trigger=int(value(MAX_FILES_PER_TRIGGER)),
        file_discovery=discovery,
        future_tolerance_minutes=float(value(FUTURE_TOLERANCE_MINUTES)),
        dedup_window_hours=float(value(DEDUP_WINDOW_HOURS)),
        alert_window_hours=float(value(ALERT_WINDOW_HOURS)),
        status_window_hours=float(value(STATUS_WINDOW_HOURS)),
        hourly_window_hours=float(value(HOURLY_WINDOW_HOURS)),
        fault_window_hours=float(value(FAULT_WINDOW_HOURS)),
        as_of=value(AS_OF),
        episode_gap_minutes=_episode_gap(value(EPISODE_GAP_MINUTES)),
        episode_lateness_hours=float(value(EPISODE_LATENESS_HOURS)),
        thresholds={code: float(value(THRESHOLD_PREFIX + code)) for code in FAULT_CODES},
    )


# The session conf as the local engine has just set it for an update (see `known_conf`).
_KNOWN_CONF: ContextVar[Mapping[str, str] | None] = ContextVar("windmill_known_conf", default=None)


@contextmanager
def known_conf(conf: Mapping[str, str]) -> Iterator[None]:
    """While an update registers its datasets, `read_settings` reads `conf` (the session's
    conf, which the caller just set) instead of fetching it again for every dataset."""
    token = _KNOWN_CONF.set(dict(conf))
    try:
        yield
    finally:
        _KNOWN_CONF.reset(token)


def read_settings(spark) -> Settings:
    """Settings from a Spark session's conf (pipeline configuration is set there).

    Every dataset definition calls this while the update registers it; over Spark Connect
    each `conf.get` is a round trip. The local engine hands over the conf it just set
    (`known_conf`); otherwise the whole conf is fetched once (`getAll`, Spark 4). Keys
    neither holds are asked for one by one.
    """
    known = _KNOWN_CONF.get()
    if known is None:
        try:
            known = dict(spark.conf.getAll)
        except Exception:  # a runtime without RuntimeConfig.getAll
            known = {}

    def get(key: str, default: str) -> str:
        return known[key] if key in known else spark.conf.get(key, default)

    return settings_from(get)
