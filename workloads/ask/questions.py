"""The question set (`questions.yaml`): questions with their reference Spark SQL.

Each entry has `question`, `intent` and either `sql` (the reference statement over the
real table names, relative to the data's clock `(SELECT MAX(timestamp) FROM
silver_sensor_data)`, so it holds on any data) or `tool` (`{name, arguments}`) for the
intents a tool answers. `out_of_scope` lists questions that must get a clarification.
The deployment can load the entries with SQL into the Genie space as sample and
benchmark questions; `benchmarks/ask_accuracy.py` and the unit tests check that
`ask_local` answers each one with exactly the reference's result set.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

import yaml

from workloads.ask import guard
from workloads.config import Paths

FLOAT_DIGITS = 6  # floats compare rounded: DuckDB's parallel sums may differ in the last bits


@dataclass(frozen=True)
class Question:
    question: str
    intent: str
    sql: str | None = None
    tool: dict[str, Any] | None = None
    tags: tuple[str, ...] = field(default_factory=tuple)

    @property
    def ordered(self) -> bool:
        """True when the reference result has an order (a top-level ORDER BY)."""
        if self.sql is None:
            return True
        return guard.validate(self.sql).args.get("order") is not None


def load(text: str | None = None) -> tuple[list[Question], list[str]]:
    """(questions, out-of-scope questions) from `questions.yaml` (or `text`)."""
    if text is None:
        text = (resources.files("workloads.ask") / "questions.yaml").read_text(encoding="utf-8")
    data = yaml.safe_load(text)
    questions = [
        Question(
            question=item["question"],
            intent=item["intent"],
            sql=item.get("sql"),
            tool=item.get("tool"),
            tags=tuple(item.get("tags", ())),
        )
        for item in data["questions"]
    ]
    return questions, list(data.get("out_of_scope", []))


def reference(paths: Paths, item: Question) -> tuple[list[str], list[list[Any]]]:
    """The expected (columns, rows): the reference SQL run the same way answers run."""
    from workloads.ask import local, tools

    if item.tool is not None:
        return tools.call(paths, item.tool["name"], item.tool.get("arguments") or {})
    db = local.connect(paths)
    try:
        return local.run_sql(db, item.sql or "")
    finally:
        db.close()


def normal(rows: list[list[Any]]) -> list[tuple]:
    def value(v: Any) -> Any:
        if isinstance(v, float):
            return None if math.isnan(v) else round(v, FLOAT_DIGITS)
        return v

    return [tuple(value(v) for v in row) for row in rows]


def same_result(expected: list[list[Any]], got: list[list[Any]], ordered: bool) -> bool:
    """Exactly the same rows (in order when the reference orders; as multisets if not)."""
    a, b = normal(expected), normal(got)
    if ordered:
        return a == b
    key = repr
    return sorted(a, key=key) == sorted(b, key=key)
