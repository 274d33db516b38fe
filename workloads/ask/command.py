"""`windmill ask "QUESTION"`: answer a question in words, locally or through Genie.

Text output: the answer in one sentence, the table, then the SQL (or the tool call)
that produced it. `--format json`: `{"question", "intent", "answer", "sql", "columns",
"rows"}`, plus `"clarification"` when the question could not be mapped.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from workloads.errors import WindmillError

FORMATS = ("text", "json")
MAX_CELL = 40


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "ask",
        help="ask a question in words; get the answer, the table and the SQL",
        description=(
            "Answer a question about the fleet in plain words. Locally (default) a fixed set"
            " of intents is matched without any language model and answered with one"
            " checked, read-only SELECT over the local tables; with --workspace databricks"
            " the deployed Genie space answers."
        ),
    )
    parser.add_argument("question", help='e.g. "which turbines need maintenance?"')
    parser.add_argument("--format", choices=FORMATS, default="text", help="output (default: text)")
    parser.add_argument(
        "--workspace",
        choices=("local", "databricks"),
        default="local",
        help="answer from the local tables (default) or the deployed Genie space",
    )
    parser.add_argument("--profile", help="Databricks CLI profile (--workspace databricks)")
    parser.add_argument("--conversation", help="Genie conversation id to follow up in")
    parser.add_argument("--space-id", help="Genie space id (default: the deployed space)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from workloads.ask import check_question

    try:
        question = check_question(args.question)
        if args.workspace == "databricks":
            answer = _ask_databricks(args, question)
        else:
            if args.conversation or args.space_id or args.profile:
                raise WindmillError(
                    "--profile, --conversation and --space-id need --workspace databricks."
                )
            from workloads.ask import ask_local
            from workloads.config import paths

            answer = ask_local(question, paths())
    except WindmillError as exc:
        print(f"windmill ask: {exc}", file=sys.stderr)
        return 2
    if args.format == "json":
        print(json.dumps(answer.as_dict(), default=str))
    else:
        print(render_text(answer))
    return 0


def _ask_databricks(args: argparse.Namespace, question: str):
    try:
        from workloads.ask import genie
    except ModuleNotFoundError:
        raise WindmillError("The Genie path is not available in this installation.") from None
    from databricks.sdk import WorkspaceClient

    try:
        client = WorkspaceClient(profile=args.profile) if args.profile else WorkspaceClient()
    except Exception as exc:  # the SDK raises ValueError and its own errors for bad config
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise WindmillError(f"Cannot connect to Databricks ({first[:200]}).") from None
    space_id = args.space_id or genie.find_space(client)
    return genie.ask_genie(client, space_id, question, conversation_id=args.conversation)


def _cell(value: Any) -> str:
    text = "NULL" if value is None else str(value)
    return text if len(text) <= MAX_CELL else text[: MAX_CELL - 1] + "…"


def render_text(answer) -> str:
    """The answer, the table (columns aligned) and the SQL or tool call."""
    lines = [answer.answer]
    if answer.clarification:
        lines = [answer.clarification]
        return "\n".join(lines)
    if answer.columns:
        cells = [[_cell(v) for v in row] for row in answer.rows]
        widths = [max([len(c), *(len(r[i]) for r in cells)]) for i, c in enumerate(answer.columns)]
        lines.append("")
        lines.append("  ".join(c.ljust(w) for c, w in zip(answer.columns, widths, strict=True)))
        lines.append("  ".join("-" * w for w in widths))
        for row in cells:
            lines.append("  ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)))
        lines.append(f"({len(answer.rows)} row{'s' if len(answer.rows) != 1 else ''})")
    if answer.sql:
        lines.append("")
        lines.append(f"{'Tool call' if getattr(answer, 'tool', None) else 'SQL'}: {answer.sql}")
    conversation = getattr(answer, "conversation_id", None)
    if conversation:
        lines.append(f"Conversation: {conversation} (follow up with --conversation {conversation})")
    return "\n".join(lines)
