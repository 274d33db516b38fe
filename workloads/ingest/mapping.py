"""The mapping file (TOML) of `windmill ingest`: how an operator's export maps to the contract.

Exactly this shape (README, "`windmill ingest`"):

    [source]   format, delimiter, timestamp, timestamp_format, timezone, turbine
    [columns]  contract column = source column (unmapped sensors are not measured: null)
    [scale]    contract column = factor applied to the source value (optional)
    [assets]   file, turbine, latitude, longitude, rated_power_kw, site, site_name (optional)

Anything else (an unknown section or key, a wrong type, a contract column that does not
exist) is one sentence naming the mapping file, the line and the key, so a user fixes it
without reading code.
"""

from __future__ import annotations

import math
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from workloads.contract import RAW_COLUMNS
from workloads.errors import WindmillError

FORMATS = ("csv", "parquet")
# Contract columns the [columns] section may map: everything but the reading's identity
# (from [source]) and the landing metadata (written by `windmill ingest` itself).
MAPPABLE: dict[str, str] = {
    name: kind
    for name, kind in RAW_COLUMNS
    if name not in ("turbine_id", "timestamp", "batch_id", "ingestion_timestamp")
}
SCALABLE = tuple(name for name, kind in MAPPABLE.items() if kind == "double")

_SOURCE_KEYS = {
    "format": None,  # required
    "delimiter": ",",
    "timestamp": None,
    "timestamp_format": "",
    "timezone": "UTC",
    "turbine": None,
}
_ASSET_KEYS = {
    "file": None,
    "turbine": None,
    "latitude": None,
    "longitude": None,
    "rated_power_kw": None,
    "site": "",
    "site_name": "",
}
_SECTIONS = ("source", "columns", "scale", "assets")


@dataclass(frozen=True)
class Assets:
    """Where the turbine registry comes from: a CSV or Parquet file, by its column names."""

    file: Path
    turbine: str
    latitude: str
    longitude: str
    rated_power_kw: str
    site: str = ""  # a column naming each turbine's site; empty: `site_name` for all
    site_name: str = ""


@dataclass(frozen=True)
class Mapping:
    path: Path
    format: str
    timestamp: str
    turbine: str
    delimiter: str = ","
    timestamp_format: str = ""  # strptime format; empty = ISO 8601
    timezone: str = "UTC"  # for timestamps without an offset
    columns: dict[str, str] = field(default_factory=dict)  # contract column -> source column
    scale: dict[str, float] = field(default_factory=dict)
    assets: Assets | None = None

    def source_columns(self) -> list[str]:
        """Every source column the mapping reads, in a stable order, each once."""
        wanted = [self.turbine, self.timestamp, *self.columns.values()]
        return list(dict.fromkeys(wanted))


def _line_of(text: str, section: str, key: str | None = None) -> int:
    """The line of `[section]` (or of `key` inside it) in the TOML text; 1 if not found."""
    current = None
    for number, raw in enumerate(text.splitlines(), start=1):
        stripped = raw.strip()
        header = re.match(r"^\[\s*([^\]]+?)\s*\]", stripped)
        if header:
            current = header.group(1)
            if key is None and current == section:
                return number
            continue
        pattern = rf"^[\"']?{re.escape(key or '')}[\"']?\s*="
        if current == section and key is not None and re.match(pattern, stripped):
            return number
    return 1


class _Reader:
    """Typed access to the parsed TOML, failing with the file and line of the culprit."""

    def __init__(self, path: Path, text: str, data: dict) -> None:
        self.path, self.text, self.data = path, text, data

    def fail(self, section: str, key: str | None, problem: str) -> WindmillError:
        line = _line_of(self.text, section, key)
        where = f"[{section}]" + (f" {key}" if key else "")
        return WindmillError(f"Mapping file {self.path}, line {line}, {where}: {problem}.")

    def table(self, section: str, required: bool) -> dict:
        value = self.data.get(section)
        if value is None:
            if required:
                raise WindmillError(
                    f"Mapping file {self.path}, line 1: the [{section}] section is missing."
                )
            return {}
        if not isinstance(value, dict):
            raise self.fail(section, None, "must be a section, not a value")
        return value

    def strings(self, section: str, known: dict[str, str | None]) -> dict[str, str]:
        table = self.table(section, required=True)
        for key in table:
            if key not in known:
                raise self.fail(section, key, f"unknown key (known: {', '.join(known)})")
        out = {}
        for key, default in known.items():
            value = table.get(key, default)
            if value is None:
                raise self.fail(section, None, f"the key {key!r} is missing")
            if not isinstance(value, str):
                raise self.fail(section, key, "must be a string in quotes")
            out[key] = value
        return out


def _check_source(reader: _Reader, source: dict[str, str]) -> None:
    if source["format"] not in FORMATS:
        raise reader.fail("source", "format", f"must be one of {', '.join(FORMATS)}")
    if source["format"] == "csv" and len(source["delimiter"]) != 1:
        raise reader.fail("source", "delimiter", 'must be one character, e.g. "," or ";"')
    for key in ("timestamp", "turbine"):
        if not source[key].strip():
            raise reader.fail("source", key, "must name a column of the export")
    try:
        ZoneInfo(source["timezone"])
    except (ZoneInfoNotFoundError, ValueError):
        raise reader.fail(
            "source", "timezone", f"{source['timezone']!r} is not a time zone, e.g. Europe/Paris"
        ) from None


def _columns(reader: _Reader) -> dict[str, str]:
    columns = reader.table("columns", required=True)
    for key, value in columns.items():
        if key not in MAPPABLE:
            raise reader.fail(
                "columns", key, f"not a contract column (one of: {', '.join(MAPPABLE)})"
            )
        if not isinstance(value, str) or not value.strip():
            raise reader.fail("columns", key, "must name a column of the export, in quotes")
    return dict(columns)


def _scale(reader: _Reader, columns: dict[str, str]) -> dict[str, float]:
    scale = reader.table("scale", required=False)
    out = {}
    for key, value in scale.items():
        if key not in SCALABLE:
            raise reader.fail(
                "scale", key, f"not a numeric contract column ({', '.join(SCALABLE)})"
            )
        if key not in columns:
            raise reader.fail("scale", key, "is not mapped in [columns]")
        if (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or not math.isfinite(value)
        ):
            raise reader.fail("scale", key, "must be a number, e.g. 1.0")
        out[key] = float(value)
    return out


def _assets(reader: _Reader, base: Path) -> Assets | None:
    if "assets" not in reader.data:
        return None
    values = reader.strings("assets", _ASSET_KEYS)
    if not values["site"] and not values["site_name"]:
        raise reader.fail("assets", "site_name", "set a site column (site) or one site name")
    file = Path(values.pop("file"))
    file = file if file.is_absolute() else base / file
    if not file.is_file():
        raise reader.fail("assets", "file", f"{file} does not exist")
    return Assets(file=file, **values)


def load(path: str | Path) -> Mapping:
    """Read and check a mapping file; one WindmillError sentence when it is wrong."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise WindmillError(f"Cannot read the mapping file {path} ({exc.strerror}).") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise WindmillError(f"Mapping file {path} is not valid TOML: {exc}.") from None
    reader = _Reader(path, text, data)
    for section in data:
        if section not in _SECTIONS:
            raise reader.fail(section, None, f"unknown section (known: {', '.join(_SECTIONS)})")
    source = reader.strings("source", _SOURCE_KEYS)
    _check_source(reader, source)
    columns = _columns(reader)
    return Mapping(
        path=path,
        format=source["format"],
        timestamp=source["timestamp"],
        turbine=source["turbine"],
        delimiter=source["delimiter"],
        timestamp_format=source["timestamp_format"],
        timezone=source["timezone"],
        columns=columns,
        scale=_scale(reader, columns),
        assets=_assets(reader, path.resolve().parent),
    )
