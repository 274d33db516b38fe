"""The wind outlook of each site over the planning horizon: no tower work in a gale.

Locally there is no weather service, so the outlook is a *persistence plus daily cycle*
forecast built from the site's recent hub-height winds in silver:

    f(t) = m + (p - m) * exp(-lead / TAU_HOURS) + c[hour of day of t]

with m the site's mean wind over the last HISTORY_HOURS, c the mean departure from m at
each hour of the day over that history (zero with less than a day of data), p the last
PERSISTENCE_HOURS hours' level with the daily cycle taken out, and lead the hours from
the planning time. Near term it persists the present, far out it tends to climatology.

It never sees data after the planning time: `persistence_forecast` drops every row later
than `now` before anything else (a unit test changes those rows and checks the forecast
is unchanged), and `read_site_winds` asks storage only for rows at or before `now`. An
optional forecast file (`--wind-forecast CSV`: `site,time,wind_speed`, one row per site
and hour) overrides the hours it covers. The generator's future values are never used.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np

from workloads.errors import WindmillError

HISTORY_HOURS = 72.0
PERSISTENCE_HOURS = 3
TAU_HOURS = 12.0


def hour_floor(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(minute=0, second=0, microsecond=0)


@dataclass(frozen=True)
class WindForecast:
    """Hourly wind (m/s) per site from `origin` (an hour) for `len(values)` hours."""

    origin: datetime
    by_site: Mapping[str, np.ndarray]
    issued_at: datetime
    source: str = "persistence + daily cycle"
    notes: tuple[str, ...] = field(default=())

    def max_wind(self, site: str, start: datetime, end: datetime) -> float:
        """The highest hourly wind forecast at `site` over [start, end); inf if unknown."""
        values = self.by_site.get(site)
        if values is None:
            return math.inf
        first = math.floor((start - self.origin).total_seconds() / 3600.0)
        last = math.ceil((end - self.origin).total_seconds() / 3600.0)
        last = max(last, first + 1)
        if first < 0 or last > len(values):
            return math.inf
        return float(np.max(values[first:last]))

    def unsafe_hours(self, site: str, max_wind: float) -> list[tuple[datetime, datetime]]:
        """[start, end) of the forecast hours at `site` with wind above `max_wind`
        (the whole horizon when the site has no forecast)."""
        values = self.by_site.get(site)
        if values is None:
            return [(self.origin - timedelta(days=1), self.origin + timedelta(days=400))]
        spans = []
        for k in np.flatnonzero(np.asarray(values) > max_wind):
            start = self.origin + timedelta(hours=int(k))
            if spans and spans[-1][1] == start:
                spans[-1] = (spans[-1][0], start + timedelta(hours=1))
            else:
                spans.append((start, start + timedelta(hours=1)))
        # Beyond the horizon nothing is known: unsafe.
        spans.append(
            (self.origin + timedelta(hours=len(values)), self.origin + timedelta(days=400))
        )
        return spans


def persistence_forecast(history, now: datetime, hours: int) -> WindForecast:
    """The forecast from `history` (pandas: site, timestamp (UTC), wind_speed) as of `now`.

    Rows after `now` are dropped first: the forecast cannot depend on them.
    """
    import pandas as pd

    origin = hour_floor(now)
    frame = history[["site", "timestamp", "wind_speed"]].dropna()
    stamps = pd.to_datetime(frame["timestamp"], utc=True)
    keep = (stamps <= pd.Timestamp(now)) & (
        stamps > pd.Timestamp(now - timedelta(hours=HISTORY_HOURS))
    )
    frame = frame.assign(timestamp=stamps)[keep]
    by_site: dict[str, np.ndarray] = {}
    slots = origin + pd.to_timedelta(np.arange(hours), unit="h")
    lead = (slots - pd.Timestamp(now)).total_seconds().to_numpy() / 3600.0 + 0.5
    for site, rows in frame.groupby("site", sort=True):
        hourly = rows.set_index("timestamp")["wind_speed"].resample("1h").mean().dropna()
        if hourly.empty:
            continue
        mean = float(hourly.mean())
        cycle = np.zeros(24)
        if (hourly.index[-1] - hourly.index[0]) >= pd.Timedelta(hours=23):
            departures = (hourly - mean).groupby(hourly.index.hour).mean()
            cycle[departures.index.to_numpy()] = departures.to_numpy()
        recent = hourly.iloc[-PERSISTENCE_HOURS:]
        level = float(np.mean(recent.to_numpy() - cycle[recent.index.hour]))
        decay = np.exp(-np.maximum(lead, 0.0) / TAU_HOURS)
        values = mean + (level - mean) * decay + cycle[slots.hour]
        by_site[str(site)] = np.clip(values, 0.0, None)
    return WindForecast(origin=origin, by_site=by_site, issued_at=now)


def read_forecast_file(path: str | Path) -> dict[str, dict[datetime, float]]:
    """`site,time,wind_speed` rows: site -> {hour (UTC) -> m/s}; one sentence on a bad row."""
    path = Path(path)
    try:
        with path.open(encoding="utf-8", newline="") as handle:
            reader = csv.DictReader(handle)
            missing = {"site", "time", "wind_speed"} - set(reader.fieldnames or ())
            if missing:
                raise WindmillError(
                    f"The wind forecast {path} needs the columns site, time, wind_speed"
                    f" (missing: {', '.join(sorted(missing))})."
                )
            table: dict[str, dict[datetime, float]] = {}
            for line, row in enumerate(reader, start=2):
                try:
                    moment = datetime.fromisoformat(row["time"].strip().replace("Z", "+00:00"))
                    speed = float(row["wind_speed"])
                except (ValueError, AttributeError):
                    raise WindmillError(
                        f"The wind forecast {path} line {line}: time must be ISO and wind_speed"
                        f" a number, got {row.get('time')!r}, {row.get('wind_speed')!r}."
                    ) from None
                if not math.isfinite(speed) or speed < 0:
                    raise WindmillError(
                        f"The wind forecast {path} line {line}: wind_speed must be >= 0, got {speed}."
                    )
                moment = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment
                table.setdefault(row["site"].strip(), {})[hour_floor(moment)] = speed
            return table
    except FileNotFoundError:
        raise WindmillError(f"The wind forecast file {path} does not exist.") from None
    except UnicodeDecodeError:
        raise WindmillError(f"The wind forecast file {path} is not UTF-8 text.") from None


def with_file(
    forecast: WindForecast, table: Mapping[str, Mapping[datetime, float]], hours: int
) -> WindForecast:
    """`forecast` with the hours a forecast file covers replaced by the file's values."""
    by_site = {site: np.array(values, dtype=float) for site, values in forecast.by_site.items()}
    for site, rows in table.items():
        values = by_site.setdefault(site, np.full(hours, np.nan))
        for moment, speed in rows.items():
            k = int((moment - forecast.origin).total_seconds() // 3600)
            if 0 <= k < hours:
                values[k] = speed
    # A site known only from the file: hours it leaves out are unknown, hence unsafe.
    by_site = {site: np.where(np.isnan(v), np.inf, v) for site, v in by_site.items()}
    return WindForecast(forecast.origin, by_site, forecast.issued_at, forecast.source + " + file")


def read_site_winds(paths, now: datetime, sites_by_turbine: Mapping[str, str]):
    """Recent silver winds (site, timestamp, wind_speed) at or before `now` (pandas or None).

    The filter goes to storage (only those rows are read); Spark writes silver's timestamps
    as UTC without a zone, so the bounds are naive UTC first, zoned if the files carry one.
    """
    import pyarrow as pa
    import pyarrow.dataset as ds

    from workloads import storage
    from workloads.names import SILVER

    since = now - timedelta(hours=HISTORY_HOURS)
    stamp = ds.field("timestamp")
    columns = ["turbine_id", "timestamp", "wind_speed"]
    frame = None
    for zone in (None, "UTC"):
        bounds = [
            pa.scalar(
                m.astimezone(UTC).replace(tzinfo=None) if zone is None else m,
                pa.timestamp("us", tz=zone),
            )
            for m in (since, now)
        ]
        try:
            frame = storage.read_table(
                paths, SILVER, columns, (stamp > bounds[0]) & (stamp <= bounds[1])
            )
            break
        except pa.ArrowNotImplementedError:
            continue
    if frame is None or frame.empty:
        return None
    frame["site"] = frame["turbine_id"].map(sites_by_turbine)
    return frame.dropna(subset=["site"])
