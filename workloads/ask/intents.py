"""Question -> intent -> parameterised Spark SQL (or a tool call).

`workloads.ask.classify` picks one intent by fixed rules over fuzzy keywords and the
entities found; each intent's `build` turns the entities into one statement whose only variable parts
come from fixed vocabularies (turbine and crew numbers, sites, fault codes, levels,
instants, integers). A question no rule fits gets no intent: the caller answers with a
clarification listing the intents, never a guess.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import workloads.ask.entities as E
from workloads import names
from workloads.ask.entities import Entities, Period
from workloads.contract import COLUMN_NAMES

MAX_LIMIT = 1000
DEFAULT_HOURS = 24.0


@dataclass(frozen=True)
class Query:
    """What an intent runs: Spark SQL, or a tool with its arguments."""

    sql: str | None = None
    tool: str | None = None
    arguments: dict[str, Any] = field(default_factory=dict)
    scope: str = ""  # the filters in words, for the answer sentence


@dataclass(frozen=True)
class Intent:
    name: str
    description: str
    example: str
    build: Callable[[Entities, datetime], Query]
    summarize: Callable[[Query, list[str], list[list[Any]]], str]


def ts(value: datetime) -> str:
    return f"TIMESTAMP '{value.strftime('%Y-%m-%d %H:%M:%S')}'"


def _limit(entities: Entities, default: int) -> int:
    return max(1, min(entities.limit or default, MAX_LIMIT))


def _site_filter(entities: Entities) -> tuple[list[str], str]:
    if entities.site is None:
        return [], ""
    lat0, lat1, lon0, lon1 = E.site_bounds(entities.site)
    return [
        f"latitude BETWEEN {lat0:.4f} AND {lat1:.4f}",
        f"longitude BETWEEN {lon0:.4f} AND {lon1:.4f}",
    ], f" at {entities.site.name}"


def _period_filter(period: Period, column: str = "timestamp", silver: bool = True) -> list[str]:
    parts = []
    if silver:
        parts.append(f"reading_date >= DATE '{period.start.date().isoformat()}'")
    parts.append(f"{column} >= {ts(period.start)}")
    parts.append(f"{column} {'<' if period.label == 'yesterday' else '<='} {ts(period.end)}")
    return parts


def _default_period(entities: Entities, clock: datetime) -> Period:
    if entities.period is not None:
        return entities.period
    return Period(clock - timedelta(hours=DEFAULT_HOURS), clock, "the last 24 hours")


def _where(parts: list[str]) -> str:
    return f" WHERE {' AND '.join(parts)}" if parts else ""


def _in_words(entities: Entities) -> str:
    bits = []
    if entities.level:
        bits.append(entities.level)
    if entities.fault:
        bits.append(entities.fault)
    return " ".join(bits)


# Builders ------------------------------------------------------------------------------------


def open_alerts(entities: Entities, clock: datetime) -> Query:
    where, scope = _site_filter(entities)
    if entities.level:
        where.append(f"alert_level = '{entities.level}'")
    if entities.fault:
        where.append(f"fault_code = '{entities.fault}'")
    if entities.older_than_hours is not None:
        where.append(f"opened_at <= {ts(clock - timedelta(hours=entities.older_than_hours))}")
        scope += f" open for more than {entities.older_than_hours:g} hours"
    if entities.period is not None:
        where += _period_filter(entities.period, "opened_at", silver=False)
        scope += f" opened {entities.period.label}"
    if entities.turbine:
        where.append(f"turbine_id = '{entities.turbine}'")
        scope += f" on {entities.turbine}"
    limit = f" LIMIT {_limit(entities, 0)}" if entities.limit else ""
    sql = (
        "SELECT turbine_id, fault_code, alert_level, opened_at, last_seen_at, readings"
        f" FROM {names.GOLD_ALERTS}{_where(where)}"
        " ORDER BY CASE alert_level WHEN 'CRITICAL' THEN 0 ELSE 1 END, opened_at, turbine_id,"
        f" fault_code{limit}"
    )
    return Query(sql=sql, scope=scope)


def _alerts_answer(query: Query, columns, rows) -> str:
    if not rows:
        return f"There are no open alerts{query.scope}."
    critical = sum(1 for r in rows if r[2] == "CRITICAL")
    return (
        f"{len(rows)} open alert{'s' if len(rows) != 1 else ''}{query.scope}:"
        f" {critical} critical, {len(rows) - critical} warning."
    )


def maintenance(entities: Entities, clock: datetime) -> Query:
    where, scope = _site_filter(entities)
    where = ["maintenance_needed = true", "alert_level IN ('WARNING', 'CRITICAL')", *where]
    if entities.fault:
        where.append(f"fault_code = '{entities.fault}'")
        scope += f" with {entities.fault}"
    sql = (
        "SELECT turbine_id, fault_code, alert_level, timestamp AS last_reading"
        f" FROM {names.GOLD_STATUS}{_where(where)} ORDER BY turbine_id"
    )
    return Query(sql=sql, scope=scope)


def _maintenance_answer(query: Query, columns, rows) -> str:
    if not rows:
        return f"No turbine{query.scope} needs maintenance now."
    ids = ", ".join(r[0] for r in rows[:5]) + (" ..." if len(rows) > 5 else "")
    return (
        f"{len(rows)} turbine{'s' if len(rows) != 1 else ''}{query.scope} need maintenance: {ids}."
    )


STATUS_FIELDS = (
    "turbine_id",
    "timestamp",
    "alert_level",
    "fault_code",
    "power_output",
    "wind_speed",
    "rotor_rpm",
    "gearbox_temperature",
    "generator_temperature",
    "vibration_level",
    "oil_pressure",
    "tower_lean",
)


def turbine_status(entities: Entities, clock: datetime) -> Query:
    sql = (
        f"SELECT {', '.join(STATUS_FIELDS)} FROM {names.GOLD_STATUS}"
        f" WHERE turbine_id = '{entities.turbine}'"
    )
    return Query(sql=sql, scope=entities.turbine or "")


def _status_answer(query: Query, columns, rows) -> str:
    if not rows:
        return (
            f"{query.scope} has not reported in the status window (no row in {names.GOLD_STATUS})."
        )
    row = dict(zip(columns, rows[0], strict=True))
    fault = f" ({row['fault_code']})" if row["fault_code"] else ""
    return (
        f"{row['turbine_id']} is {row['alert_level']}{fault}, producing"
        f" {row['power_output']:.0f} kW at {row['wind_speed']:.1f} m/s (reading of {row['timestamp']})."
    )


def power_now(entities: Entities, clock: datetime) -> Query:
    where, scope = _site_filter(entities)
    if entities.turbine:
        where.append(f"turbine_id = '{entities.turbine}'")
        scope += f" ({entities.turbine})"
    sql = (
        "SELECT COUNT(*) AS turbines_reporting, ROUND(SUM(power_output) / 1000, 3) AS power_mw"
        f" FROM {names.GOLD_STATUS}{_where(where)}"
    )
    return Query(sql=sql, scope=scope or " across the fleet")


def _power_answer(query: Query, columns, rows) -> str:
    turbines, mw = rows[0] if rows else (0, None)
    if not turbines:
        return f"No turbine{query.scope} is reporting."
    plural = "s" if turbines != 1 else ""
    return (
        f"{turbines} turbine{plural}{query.scope} produce {mw:.3f} MW now (their latest readings)."
    )


def top_power(entities: Entities, clock: datetime) -> Query:
    where, scope = _site_filter(entities)
    sql = (
        "SELECT turbine_id, power_output, wind_speed, alert_level"
        f" FROM {names.GOLD_STATUS}{_where(where)}"
        f" ORDER BY power_output DESC, turbine_id LIMIT {_limit(entities, 5)}"
    )
    return Query(sql=sql, scope=scope)


def _top_power_answer(query: Query, columns, rows) -> str:
    if not rows:
        return f"No turbine{query.scope} is reporting."
    return f"The top producer{query.scope} now is {rows[0][0]} at {rows[0][1]:.0f} kW."


def energy(entities: Entities, clock: datetime) -> Query:
    period = _default_period(entities, clock)
    where, scope = _site_filter(entities)
    where = [*_period_filter(period), *where]
    sql = (
        "SELECT ROUND(SUM(mean_kw) / 1000, 3) AS energy_mwh, COUNT(DISTINCT turbine_id) AS turbines"
        " FROM (SELECT date_trunc('HOUR', timestamp) AS hour, turbine_id,"
        f" AVG(power_output) AS mean_kw FROM {names.SILVER}{_where(where)}"
        " GROUP BY date_trunc('HOUR', timestamp), turbine_id) AS per_turbine_hour"
    )
    return Query(sql=sql, scope=f"{scope or ' by the fleet'} {period.label}")


def _energy_answer(query: Query, columns, rows) -> str:
    mwh = rows[0][0] if rows else None
    if mwh is None:
        return f"No readings{query.scope}, so no energy."
    return f"{mwh:.3f} MWh produced{query.scope} ({rows[0][1]} turbines reporting)."


def faults(entities: Entities, clock: datetime) -> Query:
    where, scope = _site_filter(entities)
    where = ["fault_code IS NOT NULL", *where]
    if entities.period is not None:
        where += _period_filter(entities.period)
        scope += f" {entities.period.label}"
    if entities.fault:
        where.append(f"fault_code = '{entities.fault}'")
    if entities.level:
        where.append(f"alert_level = '{entities.level}'")
    if entities.turbine:
        where.append(f"turbine_id = '{entities.turbine}'")
        scope += f" on {entities.turbine}"
    sql = (
        f"SELECT fault_code, alert_level, COUNT(*) AS fault_count FROM {names.SILVER}"
        f"{_where(where)} GROUP BY fault_code, alert_level ORDER BY fault_count DESC, fault_code"
    )
    return Query(sql=sql, scope=scope)


def _faults_answer(query: Query, columns, rows) -> str:
    if not rows:
        return f"No faulty readings{query.scope}."
    total = sum(r[2] for r in rows)
    return (
        f"{total} faulty readings{query.scope}; the most frequent is {rows[0][0]} ({rows[0][2]})."
    )


def recent_readings(entities: Entities, clock: datetime) -> Query:
    where, scope = _site_filter(entities)
    if entities.turbine:
        where.append(f"turbine_id = '{entities.turbine}'")
        scope += f" of {entities.turbine}"
    limit = _limit(entities, 100)
    sql = (
        f"SELECT {', '.join(COLUMN_NAMES)} FROM {names.SILVER}{_where(where)}"
        f" ORDER BY timestamp DESC, turbine_id LIMIT {limit}"
    )
    return Query(sql=sql, scope=scope)


def _readings_answer(query: Query, columns, rows) -> str:
    if not rows:
        return f"No readings{query.scope} yet."
    return f"The {len(rows)} most recent readings{query.scope}; the newest is from {rows[0][1]}."


def freshness(entities: Entities, clock: datetime) -> Query:
    sql = (
        "SELECT MAX(timestamp) AS latest_sensor_reading,"
        " MAX(ingestion_timestamp) AS latest_ingestion, COUNT(*) AS total_records"
        f" FROM {names.SILVER}"
    )
    return Query(sql=sql)


def _freshness_answer(query: Query, columns, rows) -> str:
    latest, ingested, total = rows[0] if rows else (None, None, 0)
    if not total:
        return "No readings have reached silver yet."
    return f"The latest reading is from {latest} (ingested {ingested}); {total} readings in silver."


def batch_stats(entities: Entities, clock: datetime) -> Query:
    sql = (
        "SELECT batch_id, COUNT(*) AS records, MIN(timestamp) AS batch_start,"
        f" MAX(timestamp) AS batch_end FROM {names.SILVER} GROUP BY batch_id"
        f" ORDER BY batch_start DESC, batch_id LIMIT {_limit(entities, 10)}"
    )
    return Query(sql=sql)


def _batch_answer(query: Query, columns, rows) -> str:
    if not rows:
        return "No batches have reached silver yet."
    return f"The {len(rows)} latest batches; the newest, {rows[0][0]}, has {rows[0][1]} readings."


def availability(entities: Entities, clock: datetime) -> Query:
    period = _default_period(entities, clock)
    where, scope = _site_filter(entities)
    where = [*_period_filter(period), *where]
    sql = (
        "SELECT turbine_id, ROUND(AVG(CASE WHEN power_output > 0 AND alert_level <> 'CRITICAL'"
        " THEN 1.0 ELSE 0.0 END), 4) AS availability, COUNT(*) AS readings"
        f" FROM {names.SILVER}{_where(where)} GROUP BY turbine_id"
        f" ORDER BY availability, turbine_id LIMIT {_limit(entities, 5)}"
    )
    return Query(sql=sql, scope=f"{scope} over {period.label}")


def _availability_answer(query: Query, columns, rows) -> str:
    if not rows:
        return f"No readings{query.scope}."
    return f"The least available turbine{query.scope} is {rows[0][0]} ({rows[0][1]:.1%})."


PLAN_FIELDS = (
    "crew_id",
    "stop",
    "turbine_id",
    "fault_code",
    "alert_level",
    "arrival",
    "start",
    "finish",
    "deadline",
)


def crew_for_turbine(entities: Entities, clock: datetime) -> Query:
    sql = (
        f"SELECT {', '.join(PLAN_FIELDS)} FROM {names.GOLD_DISPATCH}"
        f" WHERE turbine_id = '{entities.turbine}' ORDER BY start, crew_id"
    )
    return Query(sql=sql, scope=entities.turbine or "")


def _crew_for_turbine_answer(query: Query, columns, rows) -> str:
    if not rows:
        return f"No crew is planned for {query.scope} (not in {names.GOLD_DISPATCH})."
    row = dict(zip(columns, rows[0], strict=True))
    if row["crew_id"] is None:
        return f"No crew could take {row['turbine_id']} ({row['fault_code']}) in this plan."
    return (
        f"{row['crew_id']} goes to {row['turbine_id']} ({row['fault_code']}) as stop {row['stop']},"
        f" arriving {row['arrival']} and finishing {row['finish']}."
    )


def crew_schedule(entities: Entities, clock: datetime) -> Query:
    arguments = {"crew_id": entities.crew} if entities.crew else {}
    return Query(tool="crew_route", arguments=arguments, scope=entities.crew or "every crew")


def _crew_schedule_answer(query: Query, columns, rows) -> str:
    if not rows:
        return f"No stops are planned for {query.scope}."
    crews = sorted({r[0] for r in rows})
    if len(crews) == 1:
        return (
            f"{crews[0]} has {len(rows)} stop{'s' if len(rows) != 1 else ''}: first"
            f" {rows[0][2]} at {rows[0][5]}, last {rows[-1][2]} finishing {rows[-1][7]}."
        )
    return f"{len(crews)} crews have {len(rows)} planned stops."


def pipeline_health(entities: Entities, clock: datetime) -> Query:
    return Query(tool="pipeline_health")


def _health_answer(query: Query, columns, rows) -> str:
    if not rows:
        return "No pipeline update or job run is recorded yet."
    bad = [r for r in rows if r[2] in ("FAILED", "CANCELED", "ERROR", "INTERNAL_ERROR", "TIMEDOUT")]
    if bad:
        return f"{len(bad)} of {len(rows)} pipelines and jobs are failing: {', '.join(r[1] for r in bad)}."
    return f"All {len(rows)} pipelines and jobs are healthy (none failed on its latest run)."


INTENTS: dict[str, Intent] = {
    i.name: i
    for i in (
        Intent("open_alerts", "open maintenance alerts, by level, site, fault or age",
               "Show critical alerts at Jutland", open_alerts, _alerts_answer),
        Intent("maintenance", "turbines needing maintenance now",
               "Which turbines need maintenance?", maintenance, _maintenance_answer),
        Intent("turbine_status", "the latest status of one turbine",
               "What is the status of turbine 7?", turbine_status, _status_answer),
        Intent("power_now", "fleet or site power now", "How much power is Roscoe producing now?",
               power_now, _power_answer),
        Intent("top_power", "the turbines producing the most power now",
               "Top 5 turbines by power", top_power, _top_power_answer),
        Intent("energy", "energy produced over a period", "Energy produced yesterday",
               energy, _energy_answer),
        Intent("faults_over_period", "faulty readings over a period by type",
               "Faults in the last 6 hours by type", faults, _faults_answer),
        Intent("fault_distribution", "the fault distribution (all readings)",
               "Show the fault distribution", faults, _faults_answer),
        Intent("recent_readings", "the most recent readings (100 unless told)",
               "Show the 100 most recent readings", recent_readings, _readings_answer),
        Intent("data_freshness", "data freshness: latest reading, latest ingestion, total",
               "How fresh is the data?", freshness, _freshness_answer),
        Intent("batch_stats", "batch statistics of the latest batches",
               "Batch processing stats", batch_stats, _batch_answer),
        Intent("worst_availability", "turbines with the worst availability",
               "Top 5 turbines with the worst availability this week", availability,
               _availability_answer),
        Intent("crew_for_turbine", "which crew goes to a turbine, and when",
               "Which crew goes to T42 and when?", crew_for_turbine, _crew_for_turbine_answer),
        Intent("crew_schedule", "the schedule (route) of a crew, or of every crew",
               "What is crew 2's schedule?", crew_schedule, _crew_schedule_answer),
        Intent("pipeline_health", "pipeline and job health from the run ledger",
               "Is the pipeline healthy?", pipeline_health, _health_answer),
    )
}  # fmt: skip
