"""Ask the deployed Genie space through the SDK's Genie conversation API.

One question is one message: start a conversation (or follow up in one), poll the
message until it reaches a terminal state or the deadline passes, then read the result
of its query attachment. Every way it can end is one sentence: an Answer, or a
WindmillError saying what happened and what to do. It never waits past the deadline
(each SDK call is bounded by the client's own HTTP timeout besides).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from workloads.ask import Answer
from workloads.errors import WindmillError
from workloads.names import GENIE_SPACE_TITLE

if TYPE_CHECKING:
    from databricks.sdk import WorkspaceClient
    from databricks.sdk.service.dashboards import GenieAttachment, GenieMessage
    from databricks.sdk.service.sql import StatementResponse

DONE = {"COMPLETED", "FAILED", "CANCELLED", "QUERY_RESULT_EXPIRED"}
INTEGER_TYPES = {"BYTE", "SHORT", "INT", "LONG"}
DECIMAL_TYPES = {"FLOAT", "DOUBLE", "DECIMAL"}


class GenieError(WindmillError):
    """Genie did not answer: the message says why and what to do."""


@dataclass
class GenieAnswer(Answer):
    """Genie's answer, and the conversation to follow up in (`--conversation`)."""

    conversation_id: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {**super().as_dict(), "conversation_id": self.conversation_id}


def find_space(client: WorkspaceClient, title: str = GENIE_SPACE_TITLE) -> str:
    """The id of the Genie space `windmill deploy` created, or a GenieError."""
    from databricks.sdk.errors import DatabricksError

    token = None
    while True:
        try:
            page = client.genie.list_spaces(page_token=token)
        except DatabricksError as exc:
            reason = _reason(exc)
            raise GenieError(
                f"Could not list the Genie spaces ({reason}); pass --space-id, or check that "
                "Genie is enabled in this workspace."
            ) from None
        for space in page.spaces or []:
            if space.title == title:
                return space.space_id
        token = page.next_page_token
        if not token:
            raise GenieError(
                f"No Genie space titled {title!r} in this workspace; run `windmill deploy` "
                "first or pass --space-id."
            )


def ask_genie(
    client: WorkspaceClient,
    space_id: str,
    question: str,
    *,
    conversation_id: str | None = None,
    deadline_s: float = 120,
    poll_s: float = 2,
) -> GenieAnswer:
    """Ask Genie `question` (a follow-up in `conversation_id` if given) and return its text,
    SQL and result rows; raise a GenieError if it fails, is cancelled or runs out of time,
    or if the API refuses a call (no such space or conversation, no access)."""
    from databricks.sdk.errors import DatabricksError

    try:
        return _ask(client, space_id, question, conversation_id, deadline_s, poll_s)
    except DatabricksError as exc:
        reason = _reason(exc)
        where = f"conversation {conversation_id} of " if conversation_id else ""
        raise GenieError(
            f"The Genie API refused the question ({reason}); check that {where}Genie space "
            f"{space_id} exists and that you may use it."
        ) from None


def _ask(
    client: WorkspaceClient,
    space_id: str,
    question: str,
    conversation_id: str | None,
    deadline_s: float,
    poll_s: float,
) -> GenieAnswer:
    deadline = time.monotonic() + deadline_s
    if conversation_id:
        sent = client.genie.create_message(space_id, conversation_id, question).response
        message_id = sent.message_id or sent.id
    else:
        started = client.genie.start_conversation(space_id, question).response
        conversation_id, message_id = started.conversation_id, started.message_id
    message = _wait(client, space_id, conversation_id, message_id, deadline, poll_s)
    status = message.status.value if message.status else "UNKNOWN"
    follow_up = f"--conversation {conversation_id}"
    if status == "FAILED":
        reason = message.error.error if message.error and message.error.error else "no reason given"
        raise GenieError(f"Genie could not answer ({reason}); rephrase the question and ask again.")
    if status == "CANCELLED":
        raise GenieError("The Genie message was cancelled before it answered; ask again.")
    text = _text(message)
    query = _query_attachment(message)
    if query is None:  # a text-only answer (a clarifying question, or no data needed)
        return _answer(question, text or "Genie gave no answer.", "", [], [], conversation_id)
    expired = status == "QUERY_RESULT_EXPIRED"
    response = None
    if not expired:
        response = client.genie.get_message_attachment_query_result(
            space_id, conversation_id, message_id, query.attachment_id
        ).statement_response
        expired = _state(response) in ("CLOSED", "FAILED", "CANCELED")
    if expired:
        # The stored result is gone: run Genie's query again for fresh rows.
        response = client.genie.execute_message_attachment_query(
            space_id, conversation_id, message_id, query.attachment_id
        ).statement_response
        if _state(response) != "SUCCEEDED":
            reason = _statement_error(response)
            raise GenieError(
                f"Genie's query result expired and running its query again failed ({reason}); "
                f"ask again, with {follow_up} to stay in this conversation."
            )
    columns, rows, truncated = _rows(response)
    sentence = text or query.query.description or f"Genie's query returned {len(rows)} rows."
    if truncated:
        sentence += f" (The first {len(rows)} rows are shown.)"
    return _answer(question, sentence, query.query.query or "", columns, rows, conversation_id)


def _reason(exc: Exception) -> str:
    """The SDK error's own message: its first line, without the client config it appends."""
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return text.split(". Config: ")[0][:200]


def _wait(
    client: WorkspaceClient,
    space_id: str,
    conversation_id: str,
    message_id: str,
    deadline: float,
    poll_s: float,
) -> GenieMessage:
    """Poll the message until a terminal status; a GenieError when the deadline passes."""
    while True:
        message = client.genie.get_message(space_id, conversation_id, message_id)
        status = message.status.value if message.status else "UNKNOWN"
        if status in DONE:
            return message
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise GenieError(
                f"Genie did not answer in time (still {status}); ask again later, with "
                f"--conversation {conversation_id} to stay in this conversation."
            )
        time.sleep(min(poll_s, remaining))


def _text(message: GenieMessage) -> str:
    parts = [a.text.content for a in message.attachments or [] if a.text and a.text.content]
    return " ".join(part.strip() for part in parts)


def _query_attachment(message: GenieMessage) -> GenieAttachment | None:
    return next((a for a in message.attachments or [] if a.query and a.attachment_id), None)


def _state(response: StatementResponse | None) -> str:
    if response is None or response.status is None or response.status.state is None:
        return "UNKNOWN"
    return response.status.state.value


def _statement_error(response: StatementResponse | None) -> str:
    status = response.status if response else None
    if status and status.error and status.error.message:
        return status.error.message
    return _state(response)


def _rows(response: StatementResponse | None) -> tuple[list[str], list[list[Any]], bool]:
    """Column names and typed rows of the result's first chunk, and whether there is more."""
    manifest = response.manifest if response else None
    schema = manifest.schema.columns if manifest and manifest.schema else None
    columns = schema or []
    data = (response.result.data_array if response and response.result else None) or []
    kinds = [c.type_name.value if c.type_name else "STRING" for c in columns]
    rows = [[_typed(cell, kind) for cell, kind in zip(row, kinds, strict=False)] for row in data]
    total = manifest.total_row_count if manifest and manifest.total_row_count else len(rows)
    truncated = bool(manifest and manifest.truncated) or total > len(rows)
    return [c.name for c in columns], rows, truncated


def _typed(cell: str | None, kind: str) -> Any:
    """A JSON_ARRAY cell (always a string) as its column's type."""
    if cell is None:
        return None
    try:
        if kind in INTEGER_TYPES:
            return int(cell)
        if kind in DECIMAL_TYPES:
            return float(cell)
    except ValueError:
        return cell
    if kind == "BOOLEAN":
        return cell.lower() == "true"
    return cell


def _answer(
    question: str,
    sentence: str,
    sql: str,
    columns: list[str],
    rows: list[list[Any]],
    conversation_id: str,
) -> GenieAnswer:
    return GenieAnswer(
        question=question,
        intent="genie",
        answer=sentence,
        sql=sql,
        columns=columns,
        rows=rows,
        conversation_id=conversation_id,
    )
