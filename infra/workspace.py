"""The deploy steps Terraform cannot do, through the Databricks SDK: sign-in check,
landing folder, first pipeline update, the empty tables the App reads (plan, risk, registry), App source
deployment and the Genie space (loaded with the `windmill ask` question set)."""

from __future__ import annotations

import configparser
import json
import os
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from infra.config import REPO_ROOT, WAREHOUSE_RESOURCE
from workloads.errors import WindmillError
from workloads.names import (
    GENIE_SPACE_TITLE,
    GOLD_ALERTS,
    GOLD_DISPATCH,
    GOLD_FAULTS,
    GOLD_HOURLY,
    GOLD_RISK,
    GOLD_STATUS,
    SILVER,
    TURBINES,
)

if TYPE_CHECKING:
    from databricks.sdk import WorkspaceClient

GENIE_TITLE = GENIE_SPACE_TITLE
DASHBOARD_DIR = REPO_ROOT / "dashboard"
APP_PACKAGES = ("dashboard", "workloads")
# Installed into the App from constraints.txt pins (the dashboard's imports).
APP_REQUIREMENTS = (
    "panel",
    "hvplot",
    "bokeh",
    "holoviews",
    "matplotlib",
    "pandas",
    "pyarrow",
    "databricks-sdk",
)
PIPELINE_DONE = {"COMPLETED", "FAILED", "CANCELED"}
STATEMENT_WAITING = {"PENDING", "RUNNING"}


def workspace_client(profile: str) -> WorkspaceClient:
    """A signed-in client for `profile`, or a WindmillError saying what is missing."""
    config_file = databricks_config_file()
    if profile not in profiles(config_file):
        raise WindmillError(
            f"Databricks profile {profile!r} is not in {config_file}; create it with "
            f"`databricks auth login --profile {profile}` (or `databricks configure`) and retry."
        )
    from databricks.sdk import WorkspaceClient
    from databricks.sdk.config import Config

    try:
        client = WorkspaceClient(profile=profile)
    except Exception as exc:  # the SDK raises ValueError for config problems
        raise WindmillError(
            f"Databricks profile {profile!r} is missing or incomplete ({_first_line(exc)}); "
            f"create it with `databricks auth login --profile {profile}` and retry."
        ) from exc
    try:
        # A short retry budget: an unreachable host should fail in a minute, not five.
        probe = Config(profile=profile, retry_timeout_seconds=60)
        WorkspaceClient(config=probe).current_user.me()
    except Exception as exc:
        raise WindmillError(
            f"Could not sign in to Databricks with profile {profile!r} ({_first_line(exc)}); "
            f"refresh the credentials with `databricks auth login --profile {profile}`."
        ) from exc
    return client


def databricks_config_file() -> Path:
    """The Databricks config file the SDK and the provider read profiles from."""
    return Path(os.environ.get("DATABRICKS_CONFIG_FILE") or "~/.databrickscfg").expanduser()


def profiles(config_file: Path) -> set[str]:
    """Profile names in a Databricks config file (none if it does not exist)."""
    parser = configparser.ConfigParser(default_section="__no_default__")
    try:
        parser.read(config_file)
    except configparser.Error as exc:
        raise WindmillError(f"{config_file} cannot be read ({exc}); fix it and retry.") from exc
    names = set(parser.sections())
    # The SDK treats [DEFAULT] as a profile too.
    if config_file.exists() and "[DEFAULT]" in config_file.read_text():
        names.add("DEFAULT")
    return names


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0].rstrip(".") if text else type(exc).__name__


def create_landing_folder(client: WorkspaceClient, landing_path: str) -> None:
    """Create the generator's landing folder in the volume (Files API; a no-op if it exists).

    The pipeline's first update reads it, and the generator job needs minutes on a
    classic cluster before it writes the first file, so the folder must exist first.
    """
    client.files.create_directory(landing_path)


def _quoted(*parts: str) -> str:
    return ".".join("`" + part.replace("`", "``") + "`" for part in parts)


def run_statement(
    client: WorkspaceClient,
    warehouse_id: str,
    statement: str,
    timeout_s: float = 600,
    poll_s: float = 5,
) -> None:
    """Run one SQL statement on the warehouse and wait for it (a stopped warehouse takes
    minutes to start); cancel it and raise a WindmillError when it fails or times out."""
    from databricks.sdk.service.sql import ExecuteStatementRequestOnWaitTimeout

    response = client.statement_execution.execute_statement(
        statement,
        warehouse_id,
        wait_timeout="30s",
        on_wait_timeout=ExecuteStatementRequestOnWaitTimeout.CONTINUE,
    )
    statement_id = response.statement_id
    deadline = time.monotonic() + timeout_s
    while True:
        status = response.status
        state = status.state.value if status and status.state else "PENDING"
        if state == "SUCCEEDED":
            return
        if state not in STATEMENT_WAITING:
            reason = status.error.message if status and status.error else state
            raise WindmillError(f"A setup statement on the SQL warehouse failed ({reason}).")
        if time.monotonic() > deadline:
            client.statement_execution.cancel_execution(statement_id)
            raise WindmillError(
                f"A setup statement on the SQL warehouse did not finish within {timeout_s:.0f} s; "
                "check that the warehouse starts, then rerun `windmill deploy`."
            )
        time.sleep(poll_s)
        response = client.statement_execution.get_statement(statement_id)


def create_read_tables(
    client: WorkspaceClient, warehouse_id: str, catalog: str, schema: str
) -> None:
    """Create, empty, the tables the App reads that steps outside the pipeline write (the
    dispatch plan, the risk scores, the turbine registry, the alert desk's outbox,
    deliveries and actions), unless they exist already.

    The access stack grants the App SELECT on them, and a grant on a missing table fails;
    the pipeline reads the registry. The jobs later write them with the same schemas.
    """
    from workloads import registry
    from workloads.alerting.delta import TABLES as ALERT_TABLES
    from workloads.dispatch.builder import PLAN_SCHEMA
    from workloads.model.score import RISK_DDL

    for table, ddl in (
        (GOLD_DISPATCH, PLAN_SCHEMA),
        (GOLD_RISK, RISK_DDL),
        (TURBINES, registry.schema_ddl()),
        *ALERT_TABLES.items(),
    ):
        name = _quoted(catalog, schema, table)
        run_statement(client, warehouse_id, f"CREATE TABLE IF NOT EXISTS {name} ({ddl})")


def run_first_update(client: WorkspaceClient, pipeline_id: str, timeout_s: float = 3600) -> str:
    """Start a pipeline update and wait for it; return its final state.

    The gold tables (and so their grants and the Genie space) exist only after it.
    """
    update_id = client.pipelines.start_update(pipeline_id).update_id
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        update = client.pipelines.get_update(pipeline_id, update_id).update
        state = update.state.value if update and update.state else "UNKNOWN"
        if state in PIPELINE_DONE:
            if state != "COMPLETED":
                raise WindmillError(
                    f"The pipeline's first update ended {state}; open the pipeline page "
                    "to see why, fix it, then rerun `windmill deploy`."
                )
            return state
        time.sleep(10)
    raise WindmillError("The pipeline's first update did not finish within an hour; rerun later.")


def start_generator(client: WorkspaceClient, job_id: int) -> int | None:
    """Start the generator job unless a run is already active; return the new run id."""
    if any(True for _ in client.jobs.list_runs(job_id=job_id, active_only=True)):
        return None
    return client.jobs.run_now(job_id).run_id


def app_requirements(constraints: Path = REPO_ROOT / "constraints.txt") -> list[str]:
    """The App's requirements.txt lines, pinned as constraints.txt pins them locally."""
    pins = {}
    for line in constraints.read_text().splitlines():
        name, sep, version = line.strip().partition("==")
        if sep:
            pins[name.lower()] = f"{name}=={version}"
    return [pins.get(name, name) for name in APP_REQUIREMENTS]


def app_yaml(outputs: dict[str, Any], source: Path = DASHBOARD_DIR / "app.yaml") -> str:
    """The dashboard's app.yaml with this deployment's catalog and schema (they replace
    the file's placeholders) and the warehouse resource (kept if already declared)."""
    spec = yaml.safe_load(source.read_text()) if source.exists() else {}
    spec = spec or {}
    spec.setdefault(
        "command",
        ["python", "-m", "dashboard", "--workspace", "databricks", "--address", "0.0.0.0"],
    )
    deployed = {
        "WINDMILL_CATALOG": str(outputs["catalog"]),
        "WINDMILL_SCHEMA": str(outputs["schema"]),
    }
    env = [e for e in spec.get("env", []) if isinstance(e, dict) and e.get("name") not in deployed]
    env += [{"name": name, "value": value} for name, value in deployed.items()]
    if not any(e.get("name") == "DATABRICKS_WAREHOUSE_ID" for e in env):
        env.append({"name": "DATABRICKS_WAREHOUSE_ID", "valueFrom": WAREHOUSE_RESOURCE})
    spec["env"] = env
    return yaml.safe_dump(spec, sort_keys=False)


def app_source_files() -> Iterator[tuple[str, Path]]:
    """(relative path, local file) of every source the App imports or serves."""
    for package in APP_PACKAGES:
        for path in sorted((REPO_ROOT / package).rglob("*")):
            wanted = path.suffix in (".py", ".js", ".css", ".json", ".properties", ".yaml")
            if path.is_file() and wanted and "__pycache__" not in path.parts:
                yield str(path.relative_to(REPO_ROOT)), path


def deploy_app(client: WorkspaceClient, app_name: str, source_path: str, outputs: dict) -> None:
    """Upload the dashboard (and the workloads it imports) and deploy it to the App."""
    from databricks.sdk.service.apps import AppDeployment
    from databricks.sdk.service.workspace import ImportFormat

    def upload(relative: str, content: bytes) -> None:
        target = f"{source_path}/{relative}"
        client.workspace.mkdirs(target.rsplit("/", 1)[0])
        client.workspace.upload(target, content, format=ImportFormat.AUTO, overwrite=True)

    for relative, path in app_source_files():
        upload(relative, path.read_bytes())
    upload("app.yaml", app_yaml(outputs).encode())
    upload("requirements.txt", ("\n".join(app_requirements()) + "\n").encode())
    client.apps.deploy_and_wait(app_name, AppDeployment(source_code_path=source_path))


# What Genie is told about each table a question reads (the README's data flow).
TABLE_DESCRIPTIONS = {
    SILVER: "Validated sensor readings, one row per turbine and timestamp.",
    GOLD_STATUS: "The latest reading of every turbine: power, temperatures, alert level.",
    GOLD_ALERTS: "Open WARNING/CRITICAL maintenance work, one row per turbine and fault.",
    GOLD_HOURLY: "Fleet figures per hour: turbines reporting, power, energy, availability.",
    GOLD_FAULTS: "Readings per fault code and alert level.",
    GOLD_DISPATCH: "The dispatch plan: which crew visits which turbine, and when.",
    GOLD_RISK: "Each turbine's failure risk and the reasons for it.",
}
MAX_EXAMPLES = 90
INSTRUCTIONS = (
    "Turbine ids are written TURBINE_00042; 'turbine 42' and 'T42' mean the same turbine.",
    "Open alerts are the rows of gold_maintenance_alerts; CRITICAL is worse than WARNING.",
    "Times are UTC.",
)


def load_questions() -> list[dict[str, str | None]]:
    """The `windmill ask` question set: each question with its reference SQL (None for
    the questions a tool answers), in file order."""
    from workloads.ask.questions import load

    questions, _out_of_scope = load()
    return [{"question": q.question.strip(), "sql": q.sql} for q in questions]


def qualified_sql(sql: str, catalog: str, schema: str) -> tuple[str, set[str]]:
    """The reference SQL with its tables in `catalog.schema`, in Databricks SQL; and the
    tables it reads (the question set names them unqualified, as `windmill sql` does)."""
    import sqlglot
    from sqlglot import exp

    tree = sqlglot.parse_one(sql, read="spark")
    ctes = {cte.alias for cte in tree.find_all(exp.CTE)}
    tables: set[str] = set()
    for table in tree.find_all(exp.Table):
        if table.name in ctes or table.args.get("db"):
            continue
        tables.add(table.name)
        table.set("db", exp.to_identifier(schema))
        table.set("catalog", exp.to_identifier(catalog))
    return tree.sql(dialect="databricks"), tables


def _id(kind: str, text: str) -> str:
    # Stable across deploys (an update replaces the same entries), unique across kinds.
    return uuid.uuid5(uuid.NAMESPACE_URL, f"windmill:{kind}:{text}").hex


def genie_space(catalog: str, schema: str, questions: list[dict[str, str]] | None = None) -> str:
    """The serialized Genie space: the question set as sample questions and as benchmark
    questions with their reference SQL, over every table those questions read."""
    questions = load_questions() if questions is None else questions
    benchmarks, examples, tables = [], {}, {GOLD_ALERTS}
    for q in questions:
        if not q["sql"]:  # a tool answers it: a sample question only
            continue
        sql, used = qualified_sql(q["sql"], catalog, schema)
        tables |= used
        examples.setdefault(sql, q["question"])  # the first question of each distinct SQL
        benchmarks.append(
            {
                "id": _id("benchmark", q["question"]),
                "question": [q["question"]],
                "answer": [{"format": "SQL", "content": [sql]}],
            }
        )
    unique = list(dict.fromkeys(q["question"] for q in questions))
    space = {
        "version": 2,
        "config": {
            # Genie requires collections sorted by id.
            "sample_questions": sorted(
                ({"id": _id("sample", q), "question": [q]} for q in unique),
                key=lambda item: item["id"],
            )
        },
        "data_sources": {
            "tables": [
                {
                    "identifier": f"{catalog}.{schema}.{table}",
                    "description": [TABLE_DESCRIPTIONS.get(table, table)],
                }
                for table in sorted(tables)
            ]
        },
        "instructions": {
            "text_instructions": [
                {"id": _id("text", "instructions"), "content": list(INSTRUCTIONS)}
            ],
            # Example SQL teaches Genie the answers' shapes; a space holds at most 100
            # instructions (each example is one, the text block one).
            "example_question_sqls": sorted(
                (
                    {"id": _id("example", sql), "question": [question], "sql": [sql]}
                    for sql, question in list(examples.items())[:MAX_EXAMPLES]
                ),
                key=lambda item: item["id"],
            ),
        },
        "benchmarks": {
            "questions": sorted(
                {b["id"]: b for b in benchmarks}.values(), key=lambda item: item["id"]
            )
        },
    }
    return json.dumps(space)


def ensure_genie_space(
    client: WorkspaceClient, warehouse_id: str, catalog: str, schema: str
) -> str:
    """Create the Genie space (the question set's tables, samples and benchmarks), or
    update it; return its id."""
    serialized = genie_space(catalog, schema)
    existing = find_genie_space(client)
    if existing:
        client.genie.update_space(
            existing, warehouse_id=warehouse_id, serialized_space=serialized, title=GENIE_TITLE
        )
        return existing
    space = client.genie.create_space(
        warehouse_id,
        serialized,
        title=GENIE_TITLE,
        description="Ask about the windmill fleet: alerts, status, power, faults, crews.",
    )
    return space.space_id


def find_genie_space(client: WorkspaceClient) -> str | None:
    """The id of the windmill Genie space, if one exists."""
    token = None
    while True:
        page = client.genie.list_spaces(page_token=token)
        for space in page.spaces or []:
            if space.title == GENIE_TITLE:
                return space.space_id
        token = page.next_page_token
        if not token:
            return None


def remove_genie_space(client: WorkspaceClient) -> None:
    """Trash the windmill Genie space (destroy)."""
    space_id = find_genie_space(client)
    if space_id:
        client.genie.trash_space(space_id)
