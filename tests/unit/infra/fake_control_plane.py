"""Stand-ins for what `windmill deploy` cannot reach here: the Databricks control plane
(a local HTTP server answering the REST calls the deploy steps make through the real
databricks-sdk) and Terraform (a script recording its arguments and printing outputs).
"""

from __future__ import annotations

import contextlib
import json
import sys
import threading
from email.parser import BytesParser
from email.policy import HTTP
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

USER = "alice@example.org"


class FakeControlPlane:
    """Records every call; holds uploaded files, started runs, Genie spaces."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, str]] = []
        self.files: dict[str, bytes] = {}
        self.folders: set[str] = set()
        self.run_now: list[int] = []
        self.updates: list[str] = []
        self.deployments: list[dict[str, Any]] = []
        self.spaces: dict[str, dict[str, Any]] = {}
        self.server: ThreadingHTTPServer | None = None
        self.reject_credentials = False  # every call answers 401
        self.statements: list[dict[str, Any]] = []  # the bodies of executed statements
        # states a statement reports, one per poll; the last one repeats
        self.statement_states: list[str] = ["SUCCEEDED"]
        self.canceled: list[str] = []

    @property
    def url(self) -> str:
        assert self.server is not None
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def handle(self, method: str, path: str, query: dict, body: dict) -> tuple[int, dict]:
        self.calls.append((method, path))
        if self.reject_credentials:
            return 401, {"error_code": "UNAUTHENTICATED", "message": "Invalid access token."}
        if path.startswith("/fake-terraform/"):  # fake_terraform(notify=...) reports a call
            return 200, {}
        if method == "PUT" and path.startswith("/api/2.0/fs/directories/"):
            self.folders.add(path.removeprefix("/api/2.0/fs/directories"))
            return 200, {}
        if path == "/api/2.0/sql/statements" and method == "POST":
            self.statements.append(body)
            return 200, self._statement(f"s-{len(self.statements)}", 0)
        if path.startswith("/api/2.0/sql/statements/") and path.endswith("/cancel"):
            self.canceled.append(path.split("/")[5])
            return 200, {}
        if path.startswith("/api/2.0/sql/statements/") and method == "GET":
            statement_id = path.rsplit("/", 1)[1]
            polls = sum(1 for _, p in self.calls if p == path)
            return 200, self._statement(statement_id, polls)
        if path == "/api/2.0/preview/scim/v2/Me":
            return 200, {"userName": USER, "id": "1"}
        if path == "/api/2.2/jobs/runs/list":
            return 200, {"runs": [], "has_more": False}
        if path == "/api/2.2/jobs/run-now":
            self.run_now.append(int(body["job_id"]))
            return 200, {"run_id": 77}
        if method == "POST" and path.endswith("/updates"):
            self.updates.append(path.split("/")[4])
            return 200, {"update_id": "u-1"}
        if method == "GET" and "/updates/" in path:
            return 200, {"update": {"update_id": "u-1", "state": "COMPLETED"}}
        if path == "/api/2.0/workspace/mkdirs":
            self.folders.add(body["path"])
            return 200, {}
        if path.startswith("/api/2.0/apps/") and path.endswith("/deployments"):
            self.deployments.append(body)
            return 200, {"deployment_id": "d-1", "status": {"state": "IN_PROGRESS"}}
        if path.startswith("/api/2.0/apps/") and "/deployments/" in path:
            return 200, {"deployment_id": "d-1", "status": {"state": "SUCCEEDED"}}
        if path == "/api/2.0/genie/spaces" and method == "GET":
            spaces = [
                {k: v for k, v in s.items() if k != "serialized_space"}
                for s in self.spaces.values()
            ]
            return 200, {"spaces": spaces}
        if path == "/api/2.0/genie/spaces" and method == "POST":
            space_id = f"g-{len(self.spaces) + 1}"
            self.spaces[space_id] = {"space_id": space_id, **body}
            return 200, self.spaces[space_id]
        if path.startswith("/api/2.0/genie/spaces/") and method == "PATCH":
            space_id = path.rsplit("/", 1)[1]
            self.spaces[space_id].update(body)
            return 200, self.spaces[space_id]
        return 404, {"error_code": "NOT_FOUND", "message": f"{method} {path}"}

    def _statement(self, statement_id: str, polls: int) -> dict[str, Any]:
        state = self.statement_states[min(polls, len(self.statement_states) - 1)]
        status: dict[str, Any] = {"state": state}
        if state == "FAILED":
            status["error"] = {"error_code": "BAD_REQUEST", "message": "no such catalog"}
        return {"statement_id": statement_id, "status": status}

    def start(self) -> FakeControlPlane:
        plane = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def _serve(self) -> None:
                url = urlparse(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                body: dict = {}
                ctype = self.headers.get("Content-Type", "")
                if ctype.startswith("multipart/form-data"):
                    message = BytesParser(policy=HTTP).parsebytes(
                        f"Content-Type: {ctype}\r\n\r\n".encode() + raw
                    )
                    fields = {
                        part.get_param("name", header="content-disposition"): part.get_payload(
                            decode=True
                        )
                        for part in message.iter_parts()
                    }
                    plane.calls.append(("POST", url.path))
                    plane.files[fields["path"].decode()] = fields["content"]
                    return self._reply(200, {})
                if raw:
                    with contextlib.suppress(ValueError):
                        body = json.loads(raw)
                query = {k: v[-1] for k, v in parse_qs(url.query).items()}
                status, payload = plane.handle(self.command, url.path, query, body)
                self._reply(status, payload)

            def _reply(self, status: int, payload: dict) -> None:
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _serve

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self.server:
            self.server.shutdown()
            self.server.server_close()


def fake_terraform(
    folder: Path, outputs: dict[str, Any], notify: str | None = None
) -> tuple[Path, Path]:
    """A `terraform` that logs `<stack dir> <args>` per call and prints `outputs` for
    `output -json`; with `notify` (a FakeControlPlane's url) it also reports each call
    there as `GET /fake-terraform/<stack dir>/<command>`, so the plane's `calls` show
    Terraform's steps in order with the SDK's. Returns (executable, log file)."""
    log = folder / "terraform.log"
    script = folder / "terraform"
    wrapped = {k: {"value": v, "type": "string", "sensitive": False} for k, v in outputs.items()}
    script.write_text(
        f"#!{sys.executable}\n"
        "import json, sys\n"
        f"with open({str(log)!r}, 'a') as f:\n"
        "    f.write(' '.join(a.split('/')[-1] if a.startswith('-chdir=') else a"
        " for a in sys.argv[1:]) + '\\n')\n"
        + (
            "import urllib.request\n"
            f"urllib.request.urlopen({notify!r} + '/fake-terraform/'"
            " + sys.argv[1].split('/')[-1] + '/' + sys.argv[2]).read()\n"
            if notify
            else ""
        )
        + "if sys.argv[2:4] == ['output', '-json']:\n"
        f"    print(json.dumps({wrapped!r}))\n"
    )
    script.chmod(0o755)
    return script, log
