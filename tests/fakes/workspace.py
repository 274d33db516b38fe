"""A local HTTP server that speaks the Databricks REST API calls the dashboard uses.

The only simulation in the dashboard's tests: the real databricks-sdk talks to it.
Endpoints: pipelines list/get, pipeline events, jobs list, runs list, SQL statement
execution, get and cancel, and the Genie conversation API (spaces list, start a
conversation, follow-up messages, get a message, get or re-execute its query result). Every response is built from the SDK's own dataclasses
(`databricks.sdk.service.pipelines/jobs/sql`, `.as_dict()`), so its shapes and types are
the SDK's (an update's `creation_time` is a string, an integer column is `LONG`).
Faults are injected through attributes (in-process) or `POST /fake/control` (from
another process): reject the LIKE filter, match it case-sensitively, fail with a status
(429, 500, 401), delay, fail one table's statements, keep statements PENDING.

Run standalone: `python -m tests.fakes.workspace --port N [--jobs 5] [--page-size 2]`.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import re
import threading
import time
from collections import Counter
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlparse

import pandas as pd
from databricks.sdk.service import dashboards as genie
from databricks.sdk.service import jobs, sql
from databricks.sdk.service import pipelines as pl

BASE_MS = 1_767_571_200_000  # 2026-01-05T00:00:00Z


def like_to_regex(pattern: str, case_sensitive: bool = False) -> re.Pattern:
    """SQL LIKE → regex: `%` any run, `_` any one character, the rest literal."""
    out = []
    for char in pattern:
        out.append(".*" if char == "%" else "." if char == "_" else re.escape(char))
    flags = re.DOTALL if case_sensitive else re.IGNORECASE | re.DOTALL
    return re.compile("^" + "".join(out) + "$", flags)


@dataclass
class GenieReply:
    """How the fake Genie answers one message: the statuses its polls see, one per poll
    (the last repeats: a reply ending "ASKING_AI" never completes), then its text, SQL and
    result (a frame), or an error. `expired`: the stored result is gone (the message ends
    QUERY_RESULT_EXPIRED, the query result reads CLOSED) and only a re-execution returns
    rows; `reexecute_error` makes that re-execution fail too."""

    statuses: tuple[str, ...] = ("SUBMITTED", "EXECUTING_QUERY", "COMPLETED")
    text: str = ""
    sql: str = ""
    frame: pd.DataFrame | None = None
    error: str = ""
    expired: bool = False
    reexecute_error: str = ""


class FakeWorkspace:
    """State of the fake workspace and the server that serves it."""

    def __init__(self, page_size: int = 2) -> None:
        self.page_size = page_size
        self.pipelines: list[dict[str, Any]] = []
        self.jobs: list[dict[str, Any]] = []
        self.runs: dict[int, list[dict[str, Any]]] = {}
        self.events: dict[str, list[dict[str, Any]]] = {}  # pipeline id -> events, newest first
        self.tables: dict[str, pd.DataFrame] = {}
        self.reject_filter = False
        self.like_case_sensitive = False  # whether the pipelines LIKE filter minds case
        self.fail_status: int | None = None  # every API call fails with this status
        self.fail_next: list[int] = []  # the next calls fail with these statuses, in order
        self.fail_on: dict[str, int] = {}  # calls to this path fail with this status
        self.delay = 0.0
        self.calls: Counter[str] = Counter()
        self.requests: list[tuple[str, str]] = []
        self.statements: list[dict[str, Any]] = []  # every execute request's payload
        # Statements: a table's statements fail with this message (e.g. no permission) ...
        self.statement_errors: dict[str, str] = {}
        # ... or stay PENDING this many API seconds (float("inf"): they never finish).
        self.pending_seconds: dict[str, float] = {}
        self.seconds = 1.0  # real seconds per API second (wait_timeout, pending_seconds)
        self.cancelled: list[str] = []  # ids of the statements cancelled
        self._running: dict[str, tuple[float, dict[str, Any]]] = {}  # id -> (done at, body)
        # Genie: spaces (id -> title), the replies to the next messages, in order (one
        # empty reply when none is queued), and every conversation's messages.
        self.genie_spaces: dict[str, str] = {}
        self.genie_replies: list[GenieReply] = []
        self.conversations: dict[str, list[str]] = {}  # conversation id -> message ids
        self.messages: dict[str, dict[str, Any]] = {}  # message id -> content, reply, polls
        self.reexecuted: list[str] = []  # attachment ids whose query was executed again
        # Set to a DuckDbWarehouse: every statement is executed by it, for real.
        self.sql_engine: DuckDbWarehouse | None = None
        self._lock = threading.Lock()
        self.server: ThreadingHTTPServer | None = None

    # Content ---------------------------------------------------------------------------

    def add_pipeline(
        self, name: str, state: str = "IDLE", update_state: str = "COMPLETED", error: str = ""
    ) -> str:
        """A pipeline whose latest update is in `update_state`; a finished one ran 95 s."""
        pipeline_id = f"p-{len(self.pipelines):04d}"
        update_id = f"u-{pipeline_id}"
        states = ["CREATED", "INITIALIZING", "RUNNING"]
        if update_state in ("COMPLETED", "FAILED", "CANCELED"):
            states.append(update_state)
        events = [
            _event(
                pipeline_id,
                update_id,
                BASE_MS + step * 5_000,
                "INFO",
                f"Update {update_id} is {s}.",
            )
            for step, s in enumerate(states[:-1])
        ]
        end_ms = BASE_MS + 95_000 if len(states) == 4 else BASE_MS + 10_000
        if error:
            events.append(_event(pipeline_id, update_id, end_ms - 1_000, "ERROR", error))
        events.append(
            _event(pipeline_id, update_id, end_ms, "INFO", f"Update {update_id} is {states[-1]}.")
        )
        # Later events of the pipeline that are not about the update's progress.
        events.append(
            _event(
                pipeline_id,
                None,
                end_ms + 60_000,
                "INFO",
                "Cluster terminated.",
                "cluster_resources",
            )
        )
        self.events[pipeline_id] = events[::-1]
        self.pipelines.append(
            pl.PipelineStateInfo(
                pipeline_id=pipeline_id,
                name=name,
                state=pl.PipelineState(state),
                health=pl.PipelineStateInfoHealth.HEALTHY,
                creator_user_name="someone@example.com",
                latest_updates=[
                    pl.UpdateStateInfo(
                        update_id=update_id,
                        state=pl.UpdateStateInfoState(update_state),
                        creation_time=self.creation_time(BASE_MS),
                    )
                ],
            ).as_dict()
        )
        return pipeline_id

    @staticmethod
    def creation_time(epoch_ms: int) -> str:
        """An update's creation time as the SDK types it: a string (of epoch ms)."""
        return str(epoch_ms)

    def add_job(self, name: str, runs: list[tuple[str, str | None]] | None = None) -> int:
        job_id = 1000 + len(self.jobs)
        self.jobs.append(
            jobs.BaseJob(
                job_id=job_id, created_time=BASE_MS, settings=jobs.JobSettings(name=name)
            ).as_dict()
        )
        self.runs[job_id] = [
            jobs.BaseRun(
                job_id=job_id,
                run_id=job_id * 100 + i,
                start_time=BASE_MS + i * 60_000,
                end_time=BASE_MS + i * 60_000 + 30_000 if result else None,
                run_duration=30_000 if result else None,
                state=jobs.RunState(
                    life_cycle_state=jobs.RunLifeCycleState(life),
                    result_state=jobs.RunResultState(result) if result else None,
                    state_message="",
                ),
                run_page_url=f"https://example.invalid/jobs/{job_id}/runs/{job_id * 100 + i}",
            ).as_dict()
            # newest first, as the API returns them
            for i, (life, result) in reversed(list(enumerate(runs or [("TERMINATED", "SUCCESS")])))
        ]
        return job_id

    def set_table(self, name: str, frame: pd.DataFrame) -> None:
        self.tables[name] = frame

    def add_genie_space(self, title: str) -> str:
        space_id = f"01f0{len(self.genie_spaces):028x}"
        self.genie_spaces[space_id] = title
        return space_id

    # Server -----------------------------------------------------------------------------

    def start(self, port: int = 0) -> str:
        workspace = self

        class Handler(_Handler):
            ws = workspace

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self.url

    @property
    def url(self) -> str:
        assert self.server is not None
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()

    def api_calls(self) -> int:
        return sum(count for path, count in self.calls.items() if path.startswith("/api/"))


def _page(items: list, token: str | None, size: int) -> tuple[list, str | None]:
    start = int(token) if token else 0
    end = start + size
    return items[start:end], (str(end) if end < len(items) else None)


def _sql_type(series: pd.Series) -> tuple[sql.ColumnInfoTypeName, str]:
    """A column's type as the API names it: (type_name, type_text)."""
    kind = sql.ColumnInfoTypeName
    if pd.api.types.is_bool_dtype(series):
        return kind.BOOLEAN, "BOOLEAN"
    if pd.api.types.is_integer_dtype(series):
        return kind.LONG, "BIGINT"
    if pd.api.types.is_float_dtype(series):
        return kind.DOUBLE, "DOUBLE"
    if pd.api.types.is_datetime64_any_dtype(series):
        return kind.TIMESTAMP, "TIMESTAMP"
    return kind.STRING, "STRING"


def _cell(value: Any) -> str | None:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    if isinstance(value, pd.Timestamp):
        return value.isoformat()
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


class _Handler(BaseHTTPRequestHandler):
    ws: FakeWorkspace
    protocol_version = "HTTP/1.1"

    def log_message(self, *args) -> None:  # quiet
        pass

    def _send(
        self, status: int, body: dict[str, Any], headers: dict[str, str] | None = None
    ) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(data)

    def _fault(self) -> bool:
        ws = self.ws
        with ws._lock:
            status = ws.fail_next.pop(0) if ws.fail_next else ws.fail_status
        if ws.delay:
            time.sleep(ws.delay)
        if status is None:
            return False
        codes = {
            429: "REQUEST_LIMIT_EXCEEDED",
            500: "INTERNAL_ERROR",
            401: "UNAUTHENTICATED",
            503: "TEMPORARILY_UNAVAILABLE",
        }
        headers = {"Retry-After": "1"} if status == 429 else None
        self._send(
            status,
            {"error_code": codes.get(status, "ERROR"), "message": f"injected HTTP {status}"},
            headers,
        )
        return True

    def do_GET(self) -> None:
        url = urlparse(self.path)
        query = {k: v[-1] for k, v in parse_qs(url.query).items()}
        ws = self.ws
        with ws._lock:
            ws.calls[url.path] += 1
            ws.requests.append(("GET", self.path))
        if url.path == "/fake/calls":
            return self._send(200, {"calls": dict(ws.calls), "api_calls": ws.api_calls()})
        if not url.path.startswith("/api/"):
            return self._send(404, {"error_code": "NOT_FOUND", "message": url.path})
        if self._fault():
            return None
        if url.path in ws.fail_on:
            return self._send(
                ws.fail_on[url.path], {"error_code": "PERMISSION_DENIED", "message": "injected"}
            )
        if url.path == "/api/2.0/pipelines":
            items = ws.pipelines
            if "filter" in query:
                if ws.reject_filter:
                    return self._send(
                        400,
                        {
                            "error_code": "INVALID_PARAMETER_VALUE",
                            "message": "Filter expression is not supported",
                        },
                    )
                match = re.fullmatch(r"name LIKE '(.*)'", query["filter"], re.DOTALL)
                if not match:
                    return self._send(
                        400, {"error_code": "INVALID_PARAMETER_VALUE", "message": "bad filter"}
                    )
                regex = like_to_regex(match.group(1), ws.like_case_sensitive)
                items = [p for p in items if regex.match(p["name"])]
            size = min(int(query.get("max_results", 25)), ws.page_size)
            page, token = _page(items, query.get("page_token"), size)
            listing = pl.ListPipelinesResponse(
                statuses=[pl.PipelineStateInfo.from_dict(p) for p in page], next_page_token=token
            )
            return self._send(200, listing.as_dict())
        if url.path.startswith("/api/2.0/pipelines/") and url.path.endswith("/events"):
            pipeline_id = url.path.split("/")[4]
            if pipeline_id not in ws.events:
                return self._send(
                    404, {"error_code": "RESOURCE_DOES_NOT_EXIST", "message": "no such pipeline"}
                )
            size = min(int(query.get("max_results", 25)), ws.page_size)
            page, token = _page(ws.events[pipeline_id], query.get("page_token"), size)
            events = pl.ListPipelineEventsResponse(
                events=[pl.PipelineEvent.from_dict(e) for e in page], next_page_token=token
            )
            return self._send(200, events.as_dict())
        if url.path.startswith("/api/2.0/pipelines/"):
            pipeline_id = url.path.rsplit("/", 1)[1]
            for p in ws.pipelines:
                if p["pipeline_id"] == pipeline_id:
                    return self._send(200, p)
            return self._send(
                404, {"error_code": "RESOURCE_DOES_NOT_EXIST", "message": "no such pipeline"}
            )
        if url.path == "/api/2.2/jobs/list":
            size = min(int(query.get("limit", 20)), ws.page_size)
            page, token = _page(ws.jobs, query.get("page_token"), size)
            listing = jobs.ListJobsResponse(
                jobs=[jobs.BaseJob.from_dict(j) for j in page],
                has_more=bool(token),
                next_page_token=token,
            )
            return self._send(200, listing.as_dict())
        if url.path == "/api/2.2/jobs/runs/list":
            runs = ws.runs.get(int(query.get("job_id", -1)), [])
            size = min(int(query.get("limit", 25)), ws.page_size)
            page, token = _page(runs, query.get("page_token"), size)
            listing = jobs.ListRunsResponse(
                runs=[jobs.BaseRun.from_dict(r) for r in page],
                has_more=bool(token),
                next_page_token=token,
            )
            return self._send(200, listing.as_dict())
        if url.path.startswith("/api/2.0/sql/statements/"):
            return self._send(200, self._statement_now(url.path.rsplit("/", 1)[1]))
        if url.path.startswith("/api/2.0/genie/"):
            return self._genie("GET", url.path, query)
        return self._send(404, {"error_code": "ENDPOINT_NOT_FOUND", "message": f"no {url.path}"})

    def do_POST(self) -> None:
        url = urlparse(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        payload = json.loads(self.rfile.read(length) or b"{}")
        ws = self.ws
        with ws._lock:
            ws.calls[url.path] += 1
            ws.requests.append(("POST", self.path))
        if url.path == "/fake/control":
            for key in ("reject_filter", "like_case_sensitive", "fail_status", "delay"):
                if key in payload:
                    setattr(ws, key, payload[key])
            if "fail_next" in payload:
                ws.fail_next = list(payload["fail_next"])
            return self._send(200, {"ok": True})
        if self._fault():
            return None
        if url.path in ws.fail_on:
            return self._send(
                ws.fail_on[url.path], {"error_code": "PERMISSION_DENIED", "message": "injected"}
            )
        if url.path.rstrip("/") == "/api/2.0/sql/statements":
            with ws._lock:
                ws.statements.append(payload)
                statement_id = f"stmt-{len(ws.statements)}"
            return self._send(200, self._execute(statement_id, payload))
        cancel = re.fullmatch(r"/api/2.0/sql/statements/([^/]+)/cancel", url.path)
        if cancel:
            with ws._lock:
                ws.cancelled.append(cancel.group(1))
                if cancel.group(1) in ws._running:
                    ws._running[cancel.group(1)] = (0.0, _state_only(cancel.group(1), "CANCELED"))
            return self._send(200, {})
        if url.path.startswith("/api/2.0/genie/"):
            return self._genie("POST", url.path, payload)
        return self._send(404, {"error_code": "ENDPOINT_NOT_FOUND", "message": f"no {url.path}"})

    # Genie ------------------------------------------------------------------------------

    def _genie(self, method: str, path: str, payload: dict[str, Any]) -> None:
        ws = self.ws
        if method == "GET" and path == "/api/2.0/genie/spaces":
            listing = genie.GenieListSpacesResponse(
                spaces=[
                    genie.GenieSpace(space_id=space_id, title=title)
                    for space_id, title in ws.genie_spaces.items()
                ]
            )
            return self._send(200, listing.as_dict())
        match = re.fullmatch(r"/api/2.0/genie/spaces/([^/]+)/(.*)", path)
        if not match or match.group(1) not in ws.genie_spaces:
            return self._send(
                404, {"error_code": "RESOURCE_DOES_NOT_EXIST", "message": "no such Genie space"}
            )
        space_id, rest = match.groups()
        if method == "POST" and rest == "start-conversation":
            conversation_id = f"c-{len(ws.conversations) + 1}"
            ws.conversations[conversation_id] = []
            message = self._new_message(space_id, conversation_id, payload.get("content", ""))
            started = genie.GenieStartConversationResponse(
                conversation_id=conversation_id,
                message_id=message.message_id,
                conversation=genie.GenieConversation(
                    id=conversation_id,
                    conversation_id=conversation_id,
                    space_id=space_id,
                    title=message.content,
                ),
                message=message,
            )
            return self._send(200, started.as_dict())
        message_path = re.fullmatch(r"conversations/([^/]+)/messages(?:/([^/]+))?(/.*)?", rest)
        if not message_path or message_path.group(1) not in ws.conversations:
            return self._send(
                404, {"error_code": "RESOURCE_DOES_NOT_EXIST", "message": "no such conversation"}
            )
        conversation_id, message_id, tail = message_path.groups()
        if method == "POST" and message_id is None:
            message = self._new_message(space_id, conversation_id, payload.get("content", ""))
            return self._send(200, message.as_dict())
        if message_id not in ws.conversations[conversation_id]:
            return self._send(
                404, {"error_code": "RESOURCE_DOES_NOT_EXIST", "message": "no such message"}
            )
        if method == "GET" and not tail:
            with ws._lock:
                ws.messages[message_id]["polls"] += 1
            return self._send(200, self._message_now(space_id, conversation_id, message_id))
        attachment = re.fullmatch(r"/attachments/([^/]+)/(query-result|execute-query)", tail or "")
        if attachment and attachment.group(1) == f"a-{message_id}":
            reply: GenieReply = ws.messages[message_id]["reply"]
            again = attachment.group(2) == "execute-query"
            if again:
                ws.reexecuted.append(attachment.group(1))
            statement_id = f"genie-{message_id}{'-again' if again else ''}"
            if again and reply.reexecute_error:
                body = _state_only(statement_id, "FAILED", "BAD_REQUEST", reply.reexecute_error)
            elif reply.expired and not again:
                body = _state_only(statement_id, "CLOSED")
            else:
                body = statement_result(statement_id, reply.frame)
            result = genie.GenieGetMessageQueryResultResponse(
                statement_response=sql.StatementResponse.from_dict(body)
            )
            return self._send(200, result.as_dict())
        return self._send(404, {"error_code": "ENDPOINT_NOT_FOUND", "message": f"no {path}"})

    def _new_message(self, space_id: str, conversation_id: str, content: str) -> genie.GenieMessage:
        ws = self.ws
        with ws._lock:
            reply = ws.genie_replies.pop(0) if ws.genie_replies else GenieReply()
            message_id = f"m-{len(ws.messages) + 1}"
            ws.messages[message_id] = {"content": content, "reply": reply, "polls": 0}
            ws.conversations[conversation_id].append(message_id)
        return genie.GenieMessage.from_dict(
            self._message_now(space_id, conversation_id, message_id)
        )

    def _message_now(self, space_id: str, conversation_id: str, message_id: str) -> dict:
        """A message as a poll sees it now: the next status in its reply's sequence."""
        record = self.ws.messages[message_id]
        reply: GenieReply = record["reply"]
        status = reply.statuses[min(record["polls"], len(reply.statuses) - 1)]
        if status == "COMPLETED" and reply.expired:
            status = "QUERY_RESULT_EXPIRED"
        done = status in ("COMPLETED", "QUERY_RESULT_EXPIRED")
        attachments = []
        if done and reply.text:
            attachments.append(
                genie.GenieAttachment(
                    attachment_id=f"t-{message_id}",
                    text=genie.TextAttachment(id=f"t-{message_id}", content=reply.text),
                )
            )
        if done and reply.sql:
            rows = 0 if reply.frame is None else len(reply.frame)
            attachments.append(
                genie.GenieAttachment(
                    attachment_id=f"a-{message_id}",
                    query=genie.GenieQueryAttachment(
                        id=f"a-{message_id}",
                        query=reply.sql,
                        description="The query Genie wrote.",
                        statement_id=f"genie-{message_id}",
                        query_result_metadata=genie.GenieResultMetadata(row_count=rows),
                    ),
                )
            )
        error = (
            genie.MessageError(error=reply.error) if status == "FAILED" and reply.error else None
        )
        return genie.GenieMessage(
            space_id=space_id,
            conversation_id=conversation_id,
            content=record["content"],
            message_id=message_id,
            id=message_id,
            status=genie.MessageStatus(status),
            attachments=attachments or None,
            error=error,
            created_timestamp=BASE_MS,
        ).as_dict()

    def _execute(self, statement_id: str, payload: dict[str, Any]) -> dict[str, Any]:
        """Run a statement: its result, or PENDING if it outlives the request's wait."""
        ws = self.ws
        table = _table_of(payload.get("statement", ""))
        body = self._result(statement_id, table, payload)
        pending = ws.pending_seconds.get(table, 0.0)
        if not pending:
            return body
        started = time.monotonic()
        done_at = started + pending * ws.seconds  # inf: never
        with ws._lock:
            ws._running[statement_id] = (done_at, body)
        wait = _wait_seconds(payload.get("wait_timeout", "10s")) * ws.seconds
        time.sleep(max(0.0, min(wait, done_at - started)))
        return self._statement_now(statement_id)

    def _statement_now(self, statement_id: str) -> dict[str, Any]:
        """A statement as GET /api/2.0/sql/statements/{id} shows it now."""
        with self.ws._lock:
            done_at, body = self.ws._running.get(statement_id, (0.0, None))
        if body is None:
            return _state_only(statement_id, "FAILED", "NOT_FOUND", "no such statement")
        return body if time.monotonic() >= done_at else _state_only(statement_id, "PENDING")

    def _result(self, statement_id: str, table: str, payload: dict[str, Any]) -> dict[str, Any]:
        if self.ws.sql_engine is not None:  # statements run for real (the alert tables)
            return self.ws.sql_engine.result(statement_id, payload)
        sql_text = payload.get("statement", "")
        frame = self.ws.tables.get(table)
        if table in self.ws.statement_errors:
            return _state_only(
                statement_id, "FAILED", "BAD_REQUEST", self.ws.statement_errors[table]
            )
        if frame is None:
            return _state_only(
                statement_id,
                "FAILED",
                "BAD_REQUEST",
                f"[TABLE_OR_VIEW_NOT_FOUND] The table {table} cannot be found.",
            )
        parameters = payload.get("parameters") or []
        for p in parameters:
            # Arithmetic on dates and intervals takes numbers: a STRING (the default
            # type) fails there, as on a real warehouse with ANSI mode.
            used = re.search(rf"(date_sub|make_interval)\([^)]*:{p['name']}\b", sql_text)
            if used and p.get("type", "STRING") not in ("INT", "BIGINT", "SMALLINT", "TINYINT"):
                return _state_only(
                    statement_id,
                    "FAILED",
                    "BAD_REQUEST",
                    f"[DATATYPE_MISMATCH.UNEXPECTED_INPUT_TYPE] :{p['name']} is a "
                    f"{p.get('type', 'STRING')}, {used.group(1)} needs an INT.",
                )
        params = {p["name"]: p.get("value") for p in parameters}
        if "turbine_id" in params:
            frame = frame[frame["turbine_id"] == params["turbine_id"]]
            select = re.match(r"SELECT (.*?) FROM", sql_text).group(1)
            frame = frame[[c.strip() for c in select.split(",")]]
        return statement_result(statement_id, frame)


class DuckDbWarehouse:
    """The fake warehouse's SQL executed for real: Databricks SQL parsed by sqlglot, its
    named parameters bound as typed literals (as the warehouse binds them: a parameter
    never becomes SQL), catalogs dropped (a schema is a DuckDB schema), run in DuckDB.

    For the statements a component issues against tables of its own (the alert tables'
    CREATE, MERGE, UPDATE, INSERT and SELECT): their semantics, not canned rows. A
    statement DuckDB rejects FAILS as the warehouse's would, with its message.
    """

    def __init__(self) -> None:
        import duckdb

        self.db = duckdb.connect()
        self.lock = threading.Lock()
        self.executed: list[str] = []  # the DuckDB text of every statement run

    def translate(self, statement: str, parameters: list[dict[str, Any]]) -> str:
        import sqlglot
        from sqlglot import exp

        bound = {p["name"]: p for p in parameters}
        schemas: set[str] = set()

        def bind(node):
            if isinstance(node, exp.Placeholder) and node.name in bound:
                p = bound[node.name]
                if p.get("value") is None:
                    return exp.Null()
                if p.get("type", "STRING") in ("INT", "BIGINT"):
                    return exp.Literal.number(int(p["value"]))
                return exp.Literal.string(p["value"])
            if isinstance(node, exp.Placeholder):
                raise ValueError(f"[UNBOUND_SQL_PARAMETER] :{node.name} has no value")
            if isinstance(node, exp.Table) and node.args.get("db") is not None:
                node.set("catalog", None)
                schemas.add(node.db)
            return node

        tree = sqlglot.parse_one(statement, read="databricks").transform(bind)
        for schema in schemas:
            self.db.execute(f'CREATE SCHEMA IF NOT EXISTS "{schema}"')
        return tree.sql(dialect="duckdb")

    def execute(self, statement: str, parameters: list[dict[str, Any]]) -> pd.DataFrame:
        with self.lock:
            text = self.translate(statement, parameters)
            self.executed.append(text)
            cursor = self.db.execute(text)
            return cursor.df() if cursor.description else pd.DataFrame()

    def result(self, statement_id: str, payload: dict[str, Any]) -> dict[str, Any]:
        try:
            frame = self.execute(payload.get("statement", ""), payload.get("parameters") or [])
        except Exception as exc:  # the warehouse's answer to a bad statement
            message = str(exc).splitlines()[0]
            if "does not exist" in message and "Table" in message:
                message = f"[TABLE_OR_VIEW_NOT_FOUND] {message}"
            return _state_only(statement_id, "FAILED", "BAD_REQUEST", message)
        return statement_result(statement_id, frame)


def statement_result(statement_id: str, frame: pd.DataFrame | None) -> dict[str, Any]:
    """A SUCCEEDED statement whose result is `frame` (none: no columns, no rows)."""
    frame = pd.DataFrame() if frame is None else frame
    columns = []
    for i, c in enumerate(frame.columns):
        type_name, type_text = _sql_type(frame[c])
        columns.append(sql.ColumnInfo(name=c, type_name=type_name, type_text=type_text, position=i))
    rows = [[_cell(v) for v in row] for row in frame.itertuples(index=False)]
    return sql.StatementResponse(
        statement_id=statement_id,
        status=sql.StatementStatus(state=sql.StatementState.SUCCEEDED),
        manifest=sql.ResultManifest(
            format=sql.Format.JSON_ARRAY,
            schema=sql.ResultSchema(column_count=len(columns), columns=columns),
            total_row_count=len(rows),
            total_chunk_count=1,
        ),
        result=sql.ResultData(chunk_index=0, row_offset=0, row_count=len(rows), data_array=rows),
    ).as_dict()


def _table_of(statement: str) -> str:
    match = re.search(r"FROM\s+`[^`]*`\.`[^`]*`\.(\w+)", statement)
    return match.group(1) if match else ""


def _wait_seconds(text: str) -> float:
    """The request's `wait_timeout` ("30s"); the API allows 0 or 5 to 50 seconds."""
    seconds = int(text.rstrip("s"))
    if not (seconds == 0 or 5 <= seconds <= 50):
        raise ValueError(f"wait_timeout {text} is not 0s or 5s to 50s")
    return float(seconds)


def _state_only(
    statement_id: str, state: str, error_code: str | None = None, message: str | None = None
) -> dict[str, Any]:
    """A statement's response without a result: still running, cancelled, or failed."""
    error = (
        sql.ServiceError(error_code=sql.ServiceErrorCode(error_code), message=message)
        if error_code
        else None
    )
    return sql.StatementResponse(
        statement_id=statement_id,
        status=sql.StatementStatus(state=sql.StatementState(state), error=error),
    ).as_dict()


TRICKY_NAMES = [
    "windmill 100% _ready_",
    'Windmill\'s "quoted" pipeline',
    "<script>window.__pwned=1</script> windmill",
]


def _event(
    pipeline_id: str,
    update_id: str | None,
    at_ms: int,
    level: str,
    message: str,
    event_type: str = "update_progress",
) -> dict[str, Any]:
    """A pipeline event as the events API returns it (timestamps are ISO 8601 UTC)."""
    at = pd.Timestamp(at_ms, unit="ms", tz="UTC").strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
    return pl.PipelineEvent(
        id=f"e-{pipeline_id}-{at_ms}-{level}",
        event_type="flow_progress" if level == "ERROR" else event_type,
        level=pl.EventLevel(level),
        message=message,
        origin=pl.Origin(pipeline_id=pipeline_id, update_id=update_id),
        timestamp=at,
    ).as_dict()


def populate(ws: FakeWorkspace, extra_jobs: int = 0) -> None:
    """A workspace like the deployed one, plus other teams' resources and tricky names."""
    from tests.fakes.gold_tables import gold_frames
    from workloads import names

    ws.add_pipeline(names.PIPELINE_NAME, state="RUNNING", update_state="RUNNING")
    ws.add_pipeline("other team ETL")
    ws.add_pipeline("wind-mill lookalike")  # must not match: no "windmill"
    for name in TRICKY_NAMES:
        ws.add_pipeline(name)
    for name in (names.GENERATOR_JOB, names.PIPELINE_REFRESH_JOB, names.DISPATCH_JOB):
        ws.add_job(
            name,
            [
                ("TERMINATED", "SUCCESS"),
                ("TERMINATED", "FAILED"),
                ("TERMINATED", "SUCCESS"),
                ("RUNNING", None),
            ],
        )
    ws.add_job("finance nightly")
    ws.add_job(TRICKY_NAMES[2], [("TERMINATED", "SUCCESS")])
    for i in range(extra_jobs):
        ws.add_job(f"unrelated job {i}")
    for table, frame in gold_frames().items():
        ws.set_table(table, frame)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--page-size", type=int, default=2)
    parser.add_argument("--extra-jobs", type=int, default=0)
    args = parser.parse_args()
    ws = FakeWorkspace(page_size=args.page_size)
    populate(ws, args.extra_jobs)
    print(ws.start(args.port), flush=True)
    with contextlib.suppress(KeyboardInterrupt):
        threading.Event().wait()


if __name__ == "__main__":
    main()
