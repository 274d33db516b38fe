"""`windmill ask`: questions in plain words, answered locally with the SQL shown.

`ask_local(question, paths)` maps a question to an intent with fixed rules and fuzzy
entity matching (no language model), builds one parameterised Spark SQL statement (or
a tool call), checks it with `guard.validate` (one read-only SELECT over known tables
and columns), runs it with DuckDB over the local tables' committed files and returns an
`Answer`. A question it cannot map gets a clarification listing what it can answer.
Time words ("today", "last 6 hours") are relative to the data's clock, the latest
reading in silver, unless `now` is given.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

from workloads.config import Paths
from workloads.errors import WindmillError

MAX_QUESTION_CHARS = 500
CLARIFICATION = "clarification"


@dataclass
class Answer:
    """One answered question. `sql` holds the statement that ran, or the tool call
    (`tool` then names the tool); `clarification` is set only when nothing ran."""

    question: str
    intent: str
    answer: str
    sql: str
    columns: list[str] = field(default_factory=list)
    rows: list[list[Any]] = field(default_factory=list)
    clarification: str | None = None
    tool: str | None = None

    def as_dict(self) -> dict[str, Any]:
        """`{"question", "intent", "answer", "sql", "columns", "rows"}`, plus
        `"clarification"` only when there is one (the JSON of `windmill ask`)."""
        data = asdict(self)
        data.pop("tool")
        if data["clarification"] is None:
            data.pop("clarification")
        return data


def check_question(question: str) -> str:
    """The question stripped; one-sentence WindmillError when empty or too long."""
    if not isinstance(question, str) or not question.strip():
        raise WindmillError(
            'Ask a question in words, e.g. windmill ask "which turbines need maintenance?".'
        )
    text = " ".join(question.split())
    if len(text) > MAX_QUESTION_CHARS:
        raise WindmillError(
            f"The question is {len(text)} characters long; ask in one sentence of at most"
            f" {MAX_QUESTION_CHARS}."
        )
    return text


def capabilities() -> str:
    from workloads.ask.intents import INTENTS

    return "; ".join(f'{i.description} (e.g. "{i.example}")' for i in INTENTS.values())


def clarify(question: str, why: str) -> Answer:
    text = f"{why} I can answer: {capabilities()}."
    return Answer(question, CLARIFICATION, why, "", clarification=text)


def data_clock(db) -> datetime:
    """The latest reading's instant (silver, else the turbine status); the wall clock when
    there is no data yet."""
    from workloads import names

    for table in (names.SILVER, names.GOLD_STATUS):
        value = db.execute(f'SELECT MAX("timestamp") FROM "{table}"').fetchone()[0]
        if value is not None:
            return value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)
    return datetime.now(UTC).replace(microsecond=0)


UNSUPPORTED = {
    ("delete", "drop", "insert", "truncate", "remove", "alter", "grant", "merge", "overwrite"): (
        "I only answer questions about the data; I never change tables or run commands."
    ),
    ("risk", "riskiest", "risky", "at risk"): (
        "Risk questions need the risk model's table gold_turbine_risk, which does not exist yet."
    ),
    ("sla", "slas", "service level"): "SLA figures are not computed yet (no SLA table exists).",
}


def ask_local(question: str, paths: Paths, *, now: datetime | None = None) -> Answer:
    """Answer `question` from the local tables (see the module docstring)."""
    from workloads.ask import classify, intents, local, tools
    from workloads.ask import entities as E

    text = check_question(question)
    tokens = E.words(text)
    for phrases, why in UNSUPPORTED.items():
        if any(E.has_phrase(tokens, p) if " " in p else p in tokens for p in phrases):
            return clarify(text, why)
    db = local.connect(paths)
    try:
        if now is not None:
            clock = now.astimezone(UTC) if now.tzinfo else now.replace(tzinfo=UTC)
        else:
            clock = data_clock(db)
        found = E.extract(text, clock)
        name = classify.classify(text, found)
        if name is None:
            return clarify(text, "I could not match that question to anything I can answer.")
        missing = classify.needs(name, found)
        if missing:
            return clarify(text, missing)
        intent = intents.INTENTS[name]
        query = intent.build(found, clock)
        if query.tool is not None:
            columns, rows = tools.call(paths, query.tool, query.arguments)
            shown = tools.TOOLS[query.tool].call_text(query.arguments)
        else:
            assert query.sql is not None
            columns, rows = local.run_sql(db, query.sql)
            shown = query.sql
        sentence = intent.summarize(query, columns, rows)
        return Answer(text, name, sentence, shown, columns, rows, tool=query.tool)
    finally:
        db.close()


__all__ = ["MAX_QUESTION_CHARS", "Answer", "ask_local", "check_question"]
