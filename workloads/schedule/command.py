"""`windmill schedule` (the crews' plan for the days ahead) and `windmill simulate` (a
simulated year per maintenance strategy). Thin: parsing and printing; the work is in
`schedule.service` and `schedule.scenario`."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from workloads.cli_args import non_negative_int, positive_float, positive_int, utc_timestamp
from workloads.dispatch.command import identifier
from workloads.errors import WindmillError
from workloads.schedule.simulate import STRATEGIES


def default_evaluation() -> Path:
    from workloads.config import home_from_env

    return Path(home_from_env()) / "models" / "latest" / "evaluation.json"


def register(subparsers: argparse._SubParsersAction) -> None:
    schedule = subparsers.add_parser(
        "schedule",
        help="plan crew shifts over the next days: repairs, predictive and opportunistic work",
        description="Plan the crews' shifts over --days days (site local time, days off, no "
        "tower work above --max-work-wind) from the open alerts and the failure risk; write "
        "windmill.gold_maintenance_schedule.",
    )
    schedule.add_argument("--days", type=positive_int, default=3, help="days ahead (default 3)")
    schedule.add_argument(
        "--roster",
        type=Path,
        metavar="FILE",
        help="crew roster JSON with shifts (default: the shipped example)",
    )
    schedule.add_argument(
        "--max-work-wind",
        type=positive_float,
        default=12.0,
        metavar="M_S",
        help="no tower work above this wind, m/s (default 12)",
    )
    schedule.add_argument(
        "--wind-forecast",
        type=Path,
        metavar="CSV",
        help="a forecast file (site,time,wind_speed) overriding the hours it covers",
    )
    schedule.add_argument(
        "--now",
        type=utc_timestamp,
        metavar="TIME",
        help="plan as of this time (default: the data's latest alert reading)",
    )
    schedule.add_argument(
        "--seed", type=non_negative_int, default=0, help="search seed (default 0)"
    )
    schedule.add_argument(
        "--catalog", type=identifier, help="on Databricks: CATALOG.SCHEMA's tables"
    )
    schedule.add_argument("--schema", type=identifier, help="on Databricks: see --catalog")
    schedule.set_defaults(func=run_schedule)

    simulate = subparsers.add_parser(
        "simulate",
        help="simulate a year of faults, crews and weather under a maintenance strategy",
        description="A discrete-event year on the generator's fault episodes and winds: "
        "availability, lost energy, O&M and total cost per strategy.",
    )
    simulate.add_argument("--strategy", choices=STRATEGIES, default="predictive")
    simulate.add_argument("--days", type=positive_int, default=365)
    simulate.add_argument("--turbines", type=positive_int, default=100)
    simulate.add_argument("--crews", type=positive_int, default=8)
    simulate.add_argument("--seed", type=non_negative_int, default=42)
    simulate.add_argument(
        "--interval-days",
        type=positive_float,
        default=180.0,
        help="scheduled strategy: days between inspections (default 180)",
    )
    simulate.add_argument(
        "--energy-price",
        type=positive_float,
        metavar="EUR_PER_MWH",
        help="value of lost energy (default 60 EUR/MWh)",
    )
    simulate.add_argument("--max-work-wind", type=positive_float, default=12.0, metavar="M_S")
    simulate.add_argument(
        "--solver",
        choices=("greedy", "ortools"),
        default="greedy",
        help="the planner used for every plan of the year (default greedy: "
        "about 1,500 plans; ortools is slower)",
    )
    simulate.add_argument(
        "--evaluation",
        type=Path,
        metavar="PATH",
        help="the model's evaluation replay (default $WINDMILL_HOME/models/latest/evaluation.json)",
    )
    simulate.add_argument(
        "--on-call",
        action="store_true",
        help="on-call evening and night crews per site at overtime cost (schedule/oncall.py)",
    )
    simulate.add_argument(
        "--no-replan",
        action="store_true",
        help="plan only at 06/09/12/15 h site time, not when an alarm or a trip arrives",
    )
    simulate.add_argument(
        "--fault-rate",
        type=positive_float,
        metavar="PER_TURBINE_YEAR",
        help="fault episodes per turbine-year: a subset of the generator's (default its own, "
        "about 44, a demo rate)",
    )
    simulate.add_argument("--format", choices=("table", "json"), default="table")
    simulate.set_defaults(func=run_simulate)


def run_schedule(args: argparse.Namespace) -> int:
    if (args.catalog is None) != (args.schema is None):
        raise WindmillError("--catalog and --schema go together; pass both or neither.")
    from workloads.schedule import service

    options = dict(
        days=args.days,
        now=args.now,
        max_work_wind=args.max_work_wind,
        wind_forecast=args.wind_forecast,
        seed=args.seed,
    )
    if args.catalog is not None:
        schedule = service.run_in_workspace(args.catalog, args.schema, args.roster, **options)
        where = f"{args.catalog}.{args.schema}.gold_maintenance_schedule"
    else:
        from workloads.config import paths as home_paths

        schedule = service.run_schedule(home_paths(), args.roster, **options)
        where = "windmill.gold_maintenance_schedule"
    facts = service.summary(schedule)
    print(
        f"Planned {facts['planned']} of {facts['jobs']} jobs over {args.days} days"
        f" (cost {facts['cost']:.2f} EUR, {facts['unplanned']} left out); wrote {where}."
    )
    return 0


ROWS = (
    ("time-based availability", "time_availability", "{:.2%}"),
    ("energy-based availability", "energy_availability", "{:.2%}"),
    ("lost energy (MWh)", "lost_mwh", "{:,.0f}"),
    ("O&M cost (EUR)", "om_cost_eur", "{:,.0f}"),
    ("total cost (EUR)", "total_cost_eur", "{:,.0f}"),
    ("tasks done", "tasks_done", "{:,}"),
    ("tasks late", "tasks_late", "{:,}"),
    ("tasks in unsafe wind", "tasks_in_unsafe_wind", "{:,}"),
    ("crew utilisation", "crew_utilisation", "{:.1%}"),
    ("episodes / trips", None, None),
    ("repaired before / after trip", None, None),
)


def format_rows(results: list[dict]) -> list[list[str]]:
    """The table's rows: one per figure, one column per strategy."""
    rows = [["", *[r["strategy"] for r in results]]]
    for label, key, fmt in ROWS:
        if key is None:
            pair = (
                ("episodes", "trips")
                if label.startswith("episodes")
                else ("repaired_before_trip", "repaired_after_trip")
            )
            rows.append([label, *[f"{r[pair[0]]:,} / {r[pair[1]]:,}" for r in results]])
        else:
            rows.append([label, *[fmt.format(r[key]) for r in results]])
    return rows


def print_table(rows: list[list[str]]) -> None:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for row in rows:
        print(
            "  ".join(
                cell.ljust(widths[0]) if i == 0 else cell.rjust(widths[i])
                for i, cell in enumerate(row)
            )
        )


def simulation_options(args: argparse.Namespace, evaluation: Path) -> dict:
    """`scenario.run`'s keywords from `windmill simulate`'s options (the benchmark's too)."""
    return dict(
        days=args.days,
        turbines=args.turbines,
        crews=args.crews,
        seed=args.seed,
        interval_days=args.interval_days,
        energy_price=args.energy_price,
        max_work_wind=args.max_work_wind,
        solver=args.solver,
        evaluation=evaluation,
        on_call=args.on_call,
        replan_on_event=not args.no_replan,
        fault_rate=args.fault_rate,
    )


def run_simulate(args: argparse.Namespace) -> int:
    from workloads.schedule import scenario

    evaluation = args.evaluation or default_evaluation()
    if args.strategy == "predictive" and not Path(evaluation).exists():
        raise WindmillError(
            f"There is no model evaluation at {evaluation}: the predictive strategy replays the "
            "trained model's alarms; run `windmill train` first or pass --evaluation PATH."
        )
    if args.fault_rate is not None:
        try:
            scenario.check_fault_rate(args.fault_rate)
        except ValueError as error:
            raise WindmillError(f"--fault-rate: {error}.") from None
    result = scenario.run(args.strategy, **simulation_options(args, evaluation))
    if args.format == "json":
        print(json.dumps(result, indent=2, default=str))
    else:
        print_table(format_rows([result]))
        if "missed_because" in result:
            print(
                "tripped anyway, because: "
                + ", ".join(f"{k} {v}" for k, v in result["missed_because"].items())
            )
    return 0
