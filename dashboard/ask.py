"""The "Ask" box and `GET /api/ask?q=…`: a question in words, answered with the table and
the SQL that produced it.

Locally `ask_local` answers from the local tables. In Databricks mode the deployed Genie
space answers, but only when its id is configured (`--genie-space-id` or
`WINDMILL_GENIE_SPACE_ID`); without one the box is not shown and the API says so. An
answer is computed only when someone asks (never during a page load), off the server's
event loop, and everything shown is escaped.
"""

from __future__ import annotations

import asyncio
import html
import json
from collections.abc import Callable
from typing import Any

import panel as pn
from panel.viewable import Viewer
from tornado.web import RequestHandler

from dashboard.api import _default
from workloads.ask import MAX_QUESTION_CHARS, check_question
from workloads.errors import WindmillError

PLACEHOLDER = "Ask about the fleet, e.g. which turbines need maintenance?"
MAX_SHOWN_ROWS = 50  # the box's table; the API returns every row
GENIE_DEADLINE_S = 60.0
OFF = "Asking is off here: set WINDMILL_GENIE_SPACE_ID to the Genie space's id."
ASK_CSS = """
.wm-ask-question { color: #555; font-size: 13px; overflow-wrap: anywhere; }
.wm-ask-answer { font-size: 16px; font-weight: 600; margin: 4px 0 8px; overflow-wrap: anywhere; }
.wm-ask-error { color: #c62828; font-weight: 600; overflow-wrap: anywhere; }
.wm-ask-table { border-collapse: collapse; font-size: 13px; margin-bottom: 8px; }
.wm-ask-table th, .wm-ask-table td { border-bottom: 1px solid #ddd; padding: 2px 8px; text-align: left; }
.wm-ask-sql { background: #f0f2f5; padding: 6px 8px; white-space: pre-wrap; overflow-wrap: anywhere;
  font-size: 12px; margin: 0; }
"""


class Asker:
    """Answers questions for the box and the API: `answer(question)` → `Answer.as_dict()`,
    or a WindmillError. `enabled` is False where nothing can answer (no Genie space)."""

    def __init__(self, answer: Callable[[str], Any] | None, source: str) -> None:
        self._answer = answer
        self.source = source

    @property
    def enabled(self) -> bool:
        return self._answer is not None

    @classmethod
    def local(cls, paths) -> Asker:
        from workloads.ask import ask_local

        return cls(lambda question: ask_local(question, paths), "local tables")

    @classmethod
    def genie(cls, client, space_id: str | None) -> Asker:
        if not space_id:
            return cls(None, "")
        from workloads.ask.genie import ask_genie

        def answer(question: str):
            return ask_genie(client, space_id, question, deadline_s=GENIE_DEADLINE_S)

        return cls(answer, "Genie")

    def answer(self, question: str) -> dict[str, Any]:
        if self._answer is None:
            raise WindmillError(OFF)
        return self._answer(check_question(question)).as_dict()


def _cell(value: Any) -> str:
    if value is None:
        return ""
    return html.escape(value if isinstance(value, str) else str(_default(value)))


def render_answer(body: dict[str, Any]) -> str:
    """An answer as HTML: the question asked, the sentence, the table (first rows) and the
    SQL; all escaped."""
    sentence = body.get("clarification") or body.get("answer") or ""
    parts = [
        f'<div class="wm-ask-question">{html.escape(body.get("question") or "")}</div>',
        f'<div class="wm-ask-answer">{html.escape(sentence)}</div>',
    ]
    columns, rows = body.get("columns") or [], body.get("rows") or []
    if columns:
        head = "".join(f"<th>{html.escape(str(c))}</th>" for c in columns)
        lines = [
            "<tr>" + "".join(f"<td>{_cell(v)}</td>" for v in row) + "</tr>"
            for row in rows[:MAX_SHOWN_ROWS]
        ]
        parts.append(
            f'<table class="wm-ask-table"><thead><tr>{head}</tr></thead>'
            f"<tbody>{''.join(lines)}</tbody></table>"
        )
        if len(rows) > MAX_SHOWN_ROWS:
            parts.append(f"<div>First {MAX_SHOWN_ROWS} of {len(rows)} rows.</div>")
    if body.get("sql"):
        parts.append(f'<pre class="wm-ask-sql">{html.escape(body["sql"])}</pre>')
    return "".join(parts)


def render_error(message: str) -> str:
    return f'<div class="wm-ask-error">{html.escape(message)}</div>'


class AskBox(Viewer):
    """An input, a button, and the answer below them."""

    def __init__(self, asker: Asker, **params) -> None:
        super().__init__(**params)
        self.asker = asker
        self.question = pn.widgets.TextInput(
            placeholder=PLACEHOLDER,
            max_length=MAX_QUESTION_CHARS,
            sizing_mode="stretch_width",
            css_classes=["wm-ask-input"],
        )
        self.button = pn.widgets.Button(label="Ask", color="primary", width=90)
        self.button.on_click(self._on_click)
        self.question.param.watch(self._on_click, "enter_pressed")  # Enter asks too
        self.output = pn.pane.HTML("", sizing_mode="stretch_width", stylesheets=[ASK_CSS])
        self._layout = pn.Column(
            pn.pane.HTML(f"<b>Ask</b> <small>(answered from the {asker.source})</small>"),
            pn.Row(self.question, self.button, sizing_mode="stretch_width"),
            self.output,
            sizing_mode="stretch_width",
            styles={"background": "white", "padding": "8px 12px", "border-radius": "6px"},
            css_classes=["wm-ask"],
        )

    async def _on_click(self, _event=None) -> None:
        await self.ask(self.question.value_input or self.question.value)

    async def ask(self, question: str) -> None:
        """Answer `question` in a worker thread (a query must not stall other sessions)."""
        self.button.disabled = True
        self.output.object = '<div class="wm-ask-answer">Asking…</div>'
        try:
            body = await asyncio.get_running_loop().run_in_executor(
                None, self.asker.answer, question
            )
            self.output.object = render_answer(body)
        except WindmillError as exc:
            self.output.object = render_error(str(exc))
        finally:
            self.button.disabled = False

    def __panel__(self):
        return self._layout


class AskHandler(RequestHandler):
    """GET /api/ask?q=…: the answer as `Answer.as_dict()` JSON; 400 for a missing or too
    long question, 404 where asking is off, 503 when the answer could not be computed."""

    def initialize(self, asker: Asker) -> None:
        self.asker = asker

    def _reply(self, status: int, body: dict[str, Any]) -> None:
        self.set_status(status)
        self.set_header("Content-Type", "application/json; charset=utf-8")
        self.set_header("Cache-Control", "no-store")
        self.finish(json.dumps(body, default=_default, allow_nan=False))

    async def get(self) -> None:
        question = self.get_query_argument("q", "")
        if not self.asker.enabled:
            return self._reply(404, {"error": OFF})
        try:
            question = check_question(question)
        except WindmillError as exc:
            return self._reply(400, {"error": str(exc)})
        try:
            body = await asyncio.get_running_loop().run_in_executor(
                None, self.asker.answer, question
            )
        except WindmillError as exc:
            return self._reply(503, {"error": str(exc)})
        return self._reply(200, body)


def patterns(asker: Asker) -> list[tuple]:
    return [(r"/api/ask/?", AskHandler, {"asker": asker})]
