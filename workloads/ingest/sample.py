"""A vendor-style SCADA export built from the generator's physics (tests, benchmark, README).

What an operator's export looks like (issue 21): 10-minute means under vendor column names
(`Ws_avg`, `P_avg`, …), turbine names like `R80711`, local time stamps with their offset
(across a daylight-saving change when the span has one), rows with every value empty,
duplicated rows, small negative power, directions of exactly 360, sensors that are never
measured, and an assets file with each turbine's position and rated power. Deterministic
for a seed. `MAPPING` is the matching mapping file.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

# Vendor column -> contract column (what MAPPING maps).
VENDOR_COLUMNS = {
    "Ws_avg": "wind_speed",
    "Wa_avg": "wind_direction",
    "Rs_avg": "rotor_rpm",
    "P_avg": "power_output",
    "Ot_avg": "nacelle_temperature",
    "Gb_avg": "gearbox_temperature",
    "Gost_avg": "generator_temperature",
    "Ba_avg": "pitch_angle",
    "Ya_avg": "yaw_angle",
}
# Measured by this vendor but not mapped, and contract sensors never measured at all.
EXTRA_COLUMNS = ("Ds_avg",)
NEVER_MEASURED = ("vibration_level", "oil_pressure", "brake_pressure", "tower_lean")
RATED_POWER_KW = 2050.0
SITE = "La Haute Borne"

MAPPING = """\
[source]
format = "{format}"
delimiter = "{delimiter}"
timestamp = "Date_time"
timestamp_format = ""
timezone = "Europe/Paris"
turbine = "Wind_turbine_name"

[columns]
wind_speed = "Ws_avg"
wind_direction = "Wa_avg"
rotor_rpm = "Rs_avg"
power_output = "P_avg"
nacelle_temperature = "Ot_avg"
gearbox_temperature = "Gb_avg"
generator_temperature = "Gost_avg"
pitch_angle = "Ba_avg"
yaw_angle = "Ya_avg"

[scale]
power_output = {power_scale}

[assets]
file = "{assets}"
turbine = "Wind_turbine_name"
latitude = "Latitude"
longitude = "Longitude"
rated_power_kw = "Rated_power"
site = ""
site_name = "{site}"
"""


def turbine_names(turbines: int) -> list[str]:
    return [f"R8{number:04d}" for number in range(711, 711 + turbines)]


def readings(turbines: int, start: datetime, steps: int, seed: int = 7, step_minutes: int = 10):
    """10-minute means (of 1-minute physics readings) per turbine, in the contract's units.

    Power is rescaled from the generator's 3 MW machine to `RATED_POWER_KW`; a parked
    turbine's power is its own consumption (a few kW below zero).
    """
    import numpy as np
    import pandas as pd

    from workloads.generator import physics

    start_ms = int(start.timestamp() * 1000)
    minute = 60_000
    step = np.repeat(np.arange(steps, dtype=np.int64), turbines)
    number = np.tile(np.arange(1, turbines + 1, dtype=np.int64), steps)
    sums: dict[str, np.ndarray] = {}
    for sub in range(step_minutes):
        ts = start_ms + (step * step_minutes + sub) * minute
        values = physics.simulate(seed, number, ts)
        for vendor, name in VENDOR_COLUMNS.items():
            sums[vendor] = sums.get(vendor, 0.0) + values[name]
    frame = pd.DataFrame({k: v / step_minutes for k, v in sums.items()})
    for vendor in ("Wa_avg", "Ya_avg"):  # circular values: keep the last reading's, not a mean
        frame[vendor] = physics.simulate(seed, number, start_ms + step * step_minutes * minute)[
            VENDOR_COLUMNS[vendor]
        ]
    frame["P_avg"] = frame["P_avg"] * (RATED_POWER_KW / 3000.0)
    parked = frame["P_avg"] < 1.0
    frame.loc[parked, "P_avg"] = -np.round(1.0 + (number[parked.to_numpy()] % 5), 1)
    frame["Ds_avg"] = frame["Rs_avg"] * 90.0
    frame.insert(0, "Wind_turbine_name", [turbine_names(turbines)[n - 1] for n in number])
    utc = pd.to_datetime(start_ms + step * step_minutes * minute, unit="ms", utc=True)
    frame.insert(1, "_utc", utc)
    return frame.round(3)


def export(turbines: int, start: datetime, steps: int, seed: int = 7):
    """(export frame with vendor quirks, assets frame). `Date_time` is local Paris time."""
    import numpy as np
    import pandas as pd

    frame = readings(turbines, start, steps, seed)
    rows = len(frame)
    picks = np.random.default_rng(seed).permutation(rows)
    # Every value but the turbine and the time empty: a gap in the SCADA record.
    frame.loc[frame.index[picks[: max(1, rows // 200)]], list(VENDOR_COLUMNS) + ["Ds_avg"]] = None
    # Exactly 360 degrees (north, the same as 0).
    frame.loc[frame.index[picks[rows // 200 : rows // 200 + max(1, rows // 300)]], "Wa_avg"] = 360.0
    local = frame.pop("_utc").dt.tz_convert("Europe/Paris").dt.strftime("%Y-%m-%dT%H:%M:%S%z")
    frame.insert(1, "Date_time", local.str[:-2] + ":" + local.str[-2:])  # +0100 -> +01:00
    duplicated = frame.iloc[picks[-max(1, rows // 250) :]]
    frame = pd.concat([frame, duplicated], ignore_index=True)
    names = turbine_names(turbines)
    assets = pd.DataFrame(
        {
            "Wind_turbine_name": names,
            "Latitude": [47.54 + i * 0.004 for i in range(turbines)],
            "Longitude": [5.58 + i * 0.005 for i in range(turbines)],
            "Rated_power": RATED_POWER_KW,
        }
    )
    return frame, assets


def blank_lines() -> int:
    """Empty lines `write` appends to a CSV export (they reach quarantine as missing keys)."""
    return 2


def write(
    folder: Path,
    turbines: int,
    start: datetime,
    steps: int,
    fmt: str = "csv",
    delimiter: str = ";",
    seed: int = 7,
) -> tuple[Path, Path, Path]:
    """Write (export, assets.csv, mapping.toml) into `folder`; returns their paths."""
    folder.mkdir(parents=True, exist_ok=True)
    frame, assets = export(turbines, start, steps, seed)
    assets_path = folder / "assets.csv"
    assets.to_csv(assets_path, index=False)
    if fmt == "parquet":
        path = folder / "export.parquet"
        frame.to_parquet(path, index=False)
    else:
        path = folder / "export.csv"
        frame.to_csv(path, sep=delimiter, index=False)
        with open(path, "a", encoding="utf-8") as out:
            out.write("\n" * blank_lines())
    mapping = folder / "mapping.toml"
    mapping.write_text(
        MAPPING.format(
            format=fmt, delimiter=delimiter, power_scale=1.0, assets=assets_path.name, site=SITE
        )
    )
    return path, assets_path, mapping


def dst_start(year: int = 2017) -> datetime:
    """A UTC start one day before the last Sunday of March (clocks go forward in Paris)."""
    from datetime import UTC

    day = datetime(year, 3, 31, tzinfo=UTC)
    while day.weekday() != 6:
        day -= timedelta(days=1)
    return day - timedelta(days=1)
