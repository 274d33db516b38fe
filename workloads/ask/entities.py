"""What a question names: turbines, sites, crews, faults, alert levels, periods, limits.

Everything resolved here comes from a fixed vocabulary (the contract's fault codes and
alert levels, the generator's sites, a turbine number, a crew number): no text of the
question ever reaches a SQL statement. Matching is fuzzy (rapidfuzz's optimal string
alignment distance) so typos still resolve: "turbne 42", "critcal", "alrets".
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from rapidfuzz.distance import OSA

from workloads.contract import ALERT_LEVELS, FAULT_CODES, turbine_id
from workloads.dispatch.sites import SITES, Site

WORD = re.compile(r"[a-z0-9]+")
SITE_SPAN_DEG = 1.0  # a site's turbines stand on a grid north-east of its corner

# Fault names and the words people use for them.
FAULT_SYNONYMS: dict[str, tuple[str, ...]] = {
    "GEARBOX_OVERHEAT": (
        "gearbox overheat",
        "gearbox overheating",
        "overheating gearbox",
        "overheated gearbox",
        "hot gearbox",
        "gearbox temperature",
        "gearbox too hot",
        "gearbox",
    ),
    "GENERATOR_OVERHEAT": (
        "generator overheat",
        "generator overheating",
        "overheating generator",
        "overheated generator",
        "hot generator",
        "generator temperature",
        "generator too hot",
    ),
    "TOWER_LEAN": ("tower lean", "leaning tower", "tower leaning", "tower tilt", "tilted tower"),
    "HIGH_VIBRATION": ("high vibration", "vibration", "vibrations", "vibrating", "shaking"),
    "LOW_OIL_PRESSURE": ("low oil pressure", "oil pressure", "low oil", "oil"),
    "LOW_POWER_OUTPUT": ("low power output", "low power", "underperforming", "low output"),
}
LEVEL_WORDS: dict[str, tuple[str, ...]] = {
    "CRITICAL": ("critical", "severe", "urgent"),
    "WARNING": ("warning", "warnings"),
    "INFO": ("info", "informational"),
}
NUMBER_WORDS = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
    "eight": 8, "nine": 9, "ten": 10, "twelve": 12, "twenty": 20, "hundred": 100,
}  # fmt: skip


def words(text: str) -> list[str]:
    """Lower-case words of `text` (digits kept; `TURBINE_00042` -> turbine, 00042)."""
    return WORD.findall(text.lower().replace("_", " "))


def same_word(a: str, b: str) -> bool:
    """The same word, or one typo apart (a swap, a missing, extra or wrong letter; two for
    long words), with the same first letter; short words and numbers must be exact."""
    if a == b:
        return True
    if min(len(a), len(b)) < 5 or a.isdigit() or b.isdigit() or a[0] != b[0]:
        return False
    return OSA.distance(a, b) <= (2 if min(len(a), len(b)) >= 9 else 1)


def has_phrase(tokens: list[str], phrase: str) -> bool:
    """`phrase`'s words appear in a row in `tokens` (each fuzzily)."""
    target = phrase.split()
    n = len(target)
    return any(
        all(same_word(tokens[i + k], target[k]) for k in range(n))
        for i in range(len(tokens) - n + 1)
    )


def has_any(tokens: list[str], *phrases: str) -> bool:
    return any(has_phrase(tokens, p) for p in phrases)


@dataclass(frozen=True)
class Period:
    start: datetime
    end: datetime
    label: str


@dataclass(frozen=True)
class Entities:
    turbine: str | None = None
    site: Site | None = None
    crew: str | None = None
    fault: str | None = None
    level: str | None = None
    period: Period | None = None
    limit: int | None = None
    older_than_hours: float | None = None


_TURBINE = (
    re.compile(r"\bturbine[\s_#-]*0*(\d{1,5})\b"),
    re.compile(r"\bt[\s_#-]?0*(\d{1,5})\b"),
    re.compile(r"\bwtg[\s_#-]*0*(\d{1,5})\b"),
)
_CREW = re.compile(r"\b(?:crew|team)[\s_#-]*0*(\d{1,3})\b")


def find_turbine(text: str, tokens: list[str]) -> str | None:
    lowered = text.lower()
    for pattern in _TURBINE:
        match = pattern.search(lowered)
        if match and int(match.group(1)) > 0:
            return turbine_id(int(match.group(1)))
    for i, token in enumerate(tokens[:-1]):  # "turbne 42", "turbin 7"
        number = tokens[i + 1]
        if same_word(token, "turbine") and number.isdigit() and 0 < int(number) < 100000:
            return turbine_id(int(number))
    return None


def find_crew(text: str, tokens: list[str]) -> str | None:
    match = _CREW.search(text.lower())
    if match:
        return f"CREW_{int(match.group(1)):02d}"
    for i, token in enumerate(tokens[:-1]):
        if same_word(token, "crew") and tokens[i + 1].isdigit():
            return f"CREW_{int(tokens[i + 1]):02d}"
    return None


def find_site(tokens: list[str]) -> Site | None:
    for site in SITES:
        name = " ".join(words(site.name))
        if has_phrase(tokens, name) or (
            " " in name and any(same_word(t, name.split()[0]) for t in tokens)
        ):
            return site
    return None


def find_fault(text: str, tokens: list[str]) -> str | None:
    upper = text.upper()
    for code in FAULT_CODES:
        if code in upper:
            return code
    best: tuple[int, str] | None = None
    for code, phrases in FAULT_SYNONYMS.items():
        for phrase in phrases:
            if has_phrase(tokens, phrase):
                size = len(phrase.split())
                if best is None or size > best[0]:
                    best = (size, code)
    return best[1] if best else None


def find_level(tokens: list[str]) -> str | None:
    for level in reversed(ALERT_LEVELS):  # most severe first
        if level in LEVEL_WORDS and has_any(tokens, *LEVEL_WORDS[level]):
            return level
    return None


def _number(token: str) -> int | None:
    if token.isdigit():
        return int(token)
    return NUMBER_WORDS.get(token)


_UNITS = {
    "minute": 1 / 60, "minutes": 1 / 60, "min": 1 / 60, "mins": 1 / 60,
    "hour": 1.0, "hours": 1.0, "hr": 1.0, "hrs": 1.0, "h": 1.0,
    "day": 24.0, "days": 24.0, "d": 24.0, "week": 168.0, "weeks": 168.0,
}  # fmt: skip


def _unit(token: str) -> float | None:
    if token in _UNITS:
        return _UNITS[token]
    for unit in ("minutes", "hours", "days", "weeks"):
        if same_word(token, unit):
            return _UNITS[unit]
    return None


def find_period(text: str, tokens: list[str], clock: datetime) -> Period | None:
    """A period ending at the data's clock (or a calendar day/week in UTC)."""
    midnight = clock.replace(hour=0, minute=0, second=0, microsecond=0)
    if has_any(tokens, "yesterday"):
        return Period(midnight - timedelta(days=1), midnight, "yesterday")
    if has_any(tokens, "today", "so far today", "this day"):
        return Period(midnight, clock, "today")
    if has_any(tokens, "this week"):
        monday = midnight - timedelta(days=midnight.weekday())
        return Period(monday, clock, "this week")
    compact = re.search(r"\b(\d{1,4})\s*(h|hrs?|d|m|mins?)\b", text.lower())
    for i, token in enumerate(tokens):
        if token in ("last", "past", "previous") or same_word(token, "previous"):
            rest = tokens[i + 1 : i + 3]
            if rest and _number(rest[0]) is not None and len(rest) > 1 and _unit(rest[1]):
                hours = _number(rest[0]) * _unit(rest[1])  # type: ignore[operator]
                return Period(
                    clock - timedelta(hours=hours), clock, f"the last {rest[0]} {rest[1]}"
                )
            if rest and _unit(rest[0]):
                hours = _unit(rest[0])
                return Period(clock - timedelta(hours=hours), clock, f"the last {rest[0]}")
            if compact and compact.start() > text.lower().find(token):
                unit = {"h": 1.0, "d": 24.0, "m": 1 / 60}[compact.group(2)[0]]
                hours = int(compact.group(1)) * unit
                return Period(clock - timedelta(hours=hours), clock, f"the last {compact.group(0)}")
    return None


def find_limit(tokens: list[str]) -> int | None:
    """ "top 5", "5 worst", "worst 3 turbines", "the 20 most recent readings"."""
    for i, token in enumerate(tokens):
        leading = ("top", "first", "worst", "bottom", "lowest", "latest", "last", "recent")
        if token in leading and i + 1 < len(tokens) and _number(tokens[i + 1]) is not None:
            after = tokens[i + 2] if i + 2 < len(tokens) else ""
            if _unit(after) is None:
                return _number(tokens[i + 1])
        number = _number(token)
        if number is not None and i + 1 < len(tokens):
            after = tokens[i + 1]
            if after in ("worst", "most", "latest", "newest", "recent", "lowest", "last") or (
                after in ("turbines", "readings", "batches", "alerts", "rows", "records")
            ):
                return number
    return None


def find_age(tokens: list[str]) -> float | None:
    """ "older than 3 hours", "open for more than 2 hours"."""
    for i, token in enumerate(tokens):
        if token in ("than", "over") and i + 2 < len(tokens):
            number, unit = _number(tokens[i + 1]), _unit(tokens[i + 2])
            if number is not None and unit is not None:
                return number * unit
    return None


def extract(text: str, clock: datetime) -> Entities:
    tokens = words(text)
    age = find_age(tokens)
    return Entities(
        turbine=find_turbine(text, tokens),
        site=find_site(tokens),
        crew=find_crew(text, tokens),
        fault=find_fault(text, tokens),
        level=find_level(tokens),
        period=None if age is not None else find_period(text, tokens, clock),
        limit=find_limit(tokens),
        older_than_hours=age,
    )


def site_bounds(site: Site) -> tuple[float, float, float, float]:
    """(lat min, lat max, lon min, lon max) of a site's turbines."""
    margin = 0.01
    return (
        site.latitude - margin,
        site.latitude + SITE_SPAN_DEG,
        site.longitude - margin,
        site.longitude + SITE_SPAN_DEG,
    )
