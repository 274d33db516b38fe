"""Which intent a question asks for: fixed rules over fuzzy keywords and the entities found.

A question no rule fits gets no intent (the caller answers with a clarification listing
the intents in `workloads.ask.intents`), never a guess.
"""

from __future__ import annotations

import workloads.ask.entities as E
from workloads.ask.entities import Entities


def classify(text: str, entities: Entities) -> str | None:
    """The intent of a question, or None when no rule fits (never a guess)."""
    t = E.words(text)
    has = lambda *phrases: E.has_any(t, *phrases)  # noqa: E731
    if has("pipeline", "pipelines", "job", "jobs", "ledger", "pipeline health"):
        return "pipeline_health"
    if has(
        "fresh",
        "freshness",
        "data stale",
        "stale data",
        "latest ingestion",
        "last ingestion",
        "ingested",
        "up to date",
    ):
        return "data_freshness"
    if has("batch", "batches"):
        return "batch_stats"
    crew_words = has("crew", "crews", "team", "technician", "technicians", "dispatch", "dispatched")
    if entities.turbine and (crew_words or has("who", "when will", "repaired", "fixed", "visit")):
        return "crew_for_turbine"
    if crew_words or has("route", "schedule", "itinerary", "plan"):
        return "crew_schedule"
    if has("availability", "available", "uptime", "downtime", "least available"):
        return "worst_availability"
    if not entities.fault and has(
        "reading", "readings", "records", "measurements", "raw data", "sensor data"
    ):
        return "recent_readings"
    now_words = has("now", "current", "currently", "right now", "at the moment")
    if has("energy", "mwh", "produced", "generated", "production", "yield") and not (
        now_words and has("power", "output")
    ):
        return "energy"
    if has("power", "output", "producing", "generating", "megawatts", "mw", "kw"):
        if entities.period is None or now_words:
            return "top_power" if entities.limit and not entities.turbine else "power_now"
        return "energy"
    if has("alert", "alerts", "alarm", "alarms", "open", "active", "incident", "incidents"):
        return "open_alerts"
    if has("maintenance", "repair", "repairs", "service", "servicing", "fixing", "broken"):
        return "maintenance"
    if has("fault", "faults", "failure", "failures", "errors", "distribution", "fault codes"):
        return "faults_over_period" if entities.period else "fault_distribution"
    if entities.fault or entities.level:
        return "faults_over_period" if entities.period else "fault_distribution"
    if entities.turbine and (has("status", "how", "doing", "state", "health", "ok") or len(t) <= 3):
        return "turbine_status"
    return None


def needs(intent: str, entities: Entities) -> str | None:
    """What the intent still lacks to run (asked back as a clarification), or None."""
    if intent in ("turbine_status", "crew_for_turbine") and not entities.turbine:
        return "Which turbine? Name it as TURBINE_00042, turbine 42 or T42."
    return None
