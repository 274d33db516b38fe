"""Tools beside SQL, described by one registry that mirrors Unity Catalog function metadata.

Each tool has a name, a description and typed parameters (UC `type_name`s), returns a
table (columns, rows), and only reads. `uc_function_info(tool, catalog, schema)` gives
the same description in the shape of the Unity Catalog Functions API's `FunctionInfo`
(`input_params.parameters`, `return_params`, `comment`, ...), so the same tools can be
registered as UC functions on Databricks.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from workloads import names
from workloads.ask.local import jsonable
from workloads.config import Paths
from workloads.errors import WindmillError

UC_TYPES = {"STRING": "string", "INT": "int", "DOUBLE": "double", "TIMESTAMP": "timestamp"}


@dataclass(frozen=True)
class Param:
    name: str
    type_name: str  # a Unity Catalog type name: STRING, INT, DOUBLE, TIMESTAMP
    comment: str
    required: bool = True


@dataclass(frozen=True)
class Tool:
    name: str
    comment: str
    parameters: tuple[Param, ...]
    returns: tuple[tuple[str, str], ...]  # (column, UC type name)
    run: Callable[..., list[list[Any]]]

    @property
    def columns(self) -> list[str]:
        return [name for name, _ in self.returns]

    def call_text(self, arguments: dict[str, Any]) -> str:
        """The call as Databricks SQL would write it: `crew_route(crew_id => 'CREW_01')`."""
        parts = []
        for p in self.parameters:
            if p.name in arguments:
                value = arguments[p.name]
                text = f"'{value}'" if p.type_name == "STRING" else str(value)
                parts.append(f"{p.name} => {text}")
        return f"{self.name}({', '.join(parts)})"

    def check(self, arguments: dict[str, Any]) -> dict[str, Any]:
        """Arguments typed as the parameters say; one-sentence error otherwise."""
        known = {p.name: p for p in self.parameters}
        for key in arguments:
            if key not in known:
                raise WindmillError(f"The tool {self.name} has no parameter {key}.")
        checked = {}
        for p in self.parameters:
            if p.name not in arguments:
                if p.required:
                    raise WindmillError(f"The tool {self.name} needs the parameter {p.name}.")
                continue
            value = arguments[p.name]
            kinds = {"STRING": str, "INT": int, "DOUBLE": (int, float)}
            if p.type_name in kinds and not isinstance(value, kinds[p.type_name]):
                raise WindmillError(f"The parameter {p.name} of {self.name} must be {p.type_name}.")
            checked[p.name] = value
        return checked


def _plan_rows(paths: Paths, crew_id: str | None = None) -> list[list[Any]]:
    from workloads import storage

    frame = storage.read_table(paths, names.GOLD_DISPATCH, columns=list(ROUTE_COLUMNS_NAMES))
    if frame is None or frame.empty:
        return []
    frame = frame[frame["crew_id"].notna()]  # unassigned tasks are on no crew's route
    if crew_id is not None:
        frame = frame[frame["crew_id"] == crew_id]
    frame = frame.sort_values(["crew_id", "stop"], kind="stable")
    rows = []
    for record in frame.itertuples(index=False, name=None):
        rows.append([None if _missing(v) else jsonable(_plain(v)) for v in record])
    return rows


def _missing(value: Any) -> bool:
    try:
        return value is None or value != value  # NaN / NaT
    except (TypeError, ValueError):
        return False


def _plain(value: Any) -> Any:
    if hasattr(value, "to_pydatetime"):
        return value.to_pydatetime()
    if hasattr(value, "item"):  # numpy scalars
        return value.item()
    return value


def crew_route(paths: Paths, crew_id: str | None = None) -> list[list[Any]]:
    """The published dispatch plan's stops of one crew (or every crew), in route order."""
    return _plan_rows(paths, crew_id)


def pipeline_health(paths: Paths) -> list[list[Any]]:
    """Each pipeline and job in the run ledger with its state and latest activity (read-only:
    nothing is created when no ledger exists yet)."""
    from workloads import platform_status
    from workloads.ledger import Ledger

    if not paths.ledger.exists():
        return []
    ledger = Ledger(paths.ledger)
    rows: list[list[Any]] = []
    for row in ledger.list_pipelines():
        entry = platform_status.ledger_pipeline(row)
        latest = entry.get("latest_update") or {}
        rows.append(["pipeline", entry["name"], entry["state"], latest.get("state"), _when(latest)])
    for row in ledger.list_jobs():
        entry = platform_status.ledger_job(row)
        runs = entry.get("latest_runs") or []
        latest = runs[0] if runs else {}
        state = latest.get("life_cycle_state")
        rows.append(["job", entry["name"], entry["state"], state, _when(latest)])
    return rows


def _when(entry: dict[str, Any]) -> Any:
    for key in ("ended_at", "end_time", "finished_at", "started_at", "start_time"):
        if entry.get(key):
            return entry[key]
    return None


ROUTE_COLUMNS = (
    ("crew_id", "STRING"),
    ("stop", "INT"),
    ("turbine_id", "STRING"),
    ("fault_code", "STRING"),
    ("alert_level", "STRING"),
    ("arrival", "TIMESTAMP"),
    ("start", "TIMESTAMP"),
    ("finish", "TIMESTAMP"),
    ("deadline", "TIMESTAMP"),
    ("lateness_hours", "DOUBLE"),
)
ROUTE_COLUMNS_NAMES = tuple(name for name, _ in ROUTE_COLUMNS)

TOOLS: dict[str, Tool] = {
    t.name: t
    for t in (
        Tool(
            name="crew_route",
            comment=(
                "Explain a repair crew's route from the published dispatch plan: its stops in"
                " order with turbine, fault, arrival, start, finish, deadline and lateness."
                " Without crew_id, every crew's route."
            ),
            parameters=(
                Param("crew_id", "STRING", "Crew id as in the roster, e.g. CREW_01.", False),
            ),
            returns=ROUTE_COLUMNS,
            run=crew_route,
        ),
        Tool(
            name="pipeline_health",
            comment=(
                "Health of the pipeline and the jobs: each one's state, its latest update's or"
                " run's state, and when that ended."
            ),
            parameters=(),
            returns=(
                ("kind", "STRING"),
                ("name", "STRING"),
                ("state", "STRING"),
                ("latest_state", "STRING"),
                ("latest_at", "STRING"),
            ),
            run=pipeline_health,
        ),
    )
}


def call(paths: Paths, name: str, arguments: dict[str, Any]) -> tuple[list[str], list[list[Any]]]:
    """Run a registered tool with checked arguments: (columns, rows)."""
    if name not in TOOLS:
        raise WindmillError(f"Unknown tool {name}; known: {', '.join(TOOLS)}.")
    tool = TOOLS[name]
    return tool.columns, tool.run(paths, **tool.check(arguments))


def uc_function_info(tool: Tool, catalog: str, schema: str) -> dict[str, Any]:
    """The tool as a Unity Catalog `FunctionInfo`-shaped dict (a table function)."""
    returns = ", ".join(f"{n} {t}" for n, t in tool.returns)
    return {
        "name": tool.name,
        "catalog_name": catalog,
        "schema_name": schema,
        "full_name": f"{catalog}.{schema}.{tool.name}",
        "comment": tool.comment,
        "data_type": "TABLE_TYPE",
        "full_data_type": f"TABLE({returns})",
        "routine_body": "EXTERNAL",
        "external_language": "Python",
        "is_deterministic": True,
        "sql_data_access": "READS_SQL_DATA",
        "parameter_style": "S",
        "security_type": "DEFINER",
        "input_params": {
            "parameters": [
                {
                    "name": p.name,
                    "type_name": p.type_name,
                    "type_text": p.type_name.lower(),
                    "position": i,
                    "comment": p.comment,
                    **({} if p.required else {"parameter_default": "NULL"}),
                }
                for i, p in enumerate(tool.parameters)
            ]
        },
        "return_params": {
            "parameters": [
                {"name": n, "type_name": t, "type_text": t.lower(), "position": i}
                for i, (n, t) in enumerate(tool.returns)
            ]
        },
    }
