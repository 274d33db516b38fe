"""The simulated year under each maintenance strategy, on the same seed (issue 19).

Runs `windmill simulate`'s model for corrective, scheduled and predictive maintenance on
the generator's fleet, episodes and winds, prints one table with the ratios to corrective,
and checks the targets: predictive total cost >= 30% lower than corrective, energy-based
availability >= 1 percentage point higher, 0 tasks in unsafe wind.

The predictive strategy replays the trained model's measured alarms from its evaluation
file (`windmill train` writes it); without that file the benchmark says so and stops.

`--fault-rates 2,4,9,22,44` runs corrective and predictive at each fault rate (episodes
per turbine-year, a subset of the generator's demo rate of about 44) and prints one line per
rate: where acting on the model's alarms pays, and where its false alarms eat the saving.

Run: .venv/bin/python benchmarks/maintenance_strategies.py [--evaluation PATH] [--days 365]
     [--turbines 100] [--crews 8] [--seed 42] [--solver greedy|ortools] [--energy-price 60]
     [--interval-days 180] [--max-work-wind 12] [--on-call] [--no-replan]
     [--fault-rate R | --fault-rates R,R,...]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from workloads.schedule import costs, scenario  # noqa: E402
from workloads.schedule.command import (  # noqa: E402
    default_evaluation,
    format_rows,
    print_table,
    simulation_options,
)
from workloads.schedule.simulate import STRATEGIES  # noqa: E402


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--evaluation", type=Path, default=None)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--turbines", type=int, default=100)
    parser.add_argument("--crews", type=int, default=8)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--solver", choices=("greedy", "ortools"), default="greedy")
    parser.add_argument("--energy-price", type=float, default=costs.ENERGY_PRICE_EUR_PER_MWH)
    parser.add_argument("--interval-days", type=float, default=180.0)
    parser.add_argument("--max-work-wind", type=float, default=12.0)
    parser.add_argument(
        "--on-call",
        action="store_true",
        help="every strategy also has on-call crews for evenings and nights (oncall.py costs)",
    )
    parser.add_argument(
        "--no-replan",
        action="store_true",
        help="plan only at 06/09/12/15 h, not when an alarm or a trip arrives",
    )
    rates = parser.add_mutually_exclusive_group()
    rates.add_argument(
        "--fault-rate",
        type=float,
        default=None,
        help="fault episodes per turbine-year (default: the generator's own, about 44)",
    )
    rates.add_argument(
        "--fault-rates",
        type=lambda text: [float(x) for x in text.split(",")],
        default=None,
        help="comma-separated rates: corrective against predictive at each",
    )
    args = parser.parse_args(argv)
    evaluation = args.evaluation or default_evaluation()
    if not Path(evaluation).exists():
        print(
            f"No model evaluation at {evaluation}: the predictive strategy replays the trained "
            "model's alarms. Run `windmill train` first (it writes models/latest/evaluation.json"
            " under $WINDMILL_HOME) or pass --evaluation PATH.",
            file=sys.stderr,
        )
        return 2
    started = time.perf_counter()
    if args.fault_rates:
        return sweep(args, evaluation, started)
    world = scenario.generator_scenario(
        args.seed, args.turbines, args.days, args.crews, fault_rate=args.fault_rate
    )
    print(
        f"{args.days} days, {args.turbines} turbines, {args.crews} crews, seed {args.seed}, "
        f"{len(world.episodes)} fault episodes in the generator's model "
        f"({world.fault_rate:.1f} per turbine-year), "
        f"solver {args.solver}, "
        f"energy {args.energy_price:g} EUR/MWh, evaluation {evaluation}, "
        f"on-call {'yes' if args.on_call else 'no'}, "
        f"re-plan on alarm/trip {'no' if args.no_replan else 'yes'}"
    )
    results = []
    for strategy in STRATEGIES:
        began = time.perf_counter()
        results.append(simulate(strategy, world, args, evaluation))
        print(f"  {strategy}: simulated in {time.perf_counter() - began:.1f} s")
    rows = format_rows(results)
    corrective = results[0]
    rows.append(
        [
            "total cost vs corrective",
            *[f"{r['total_cost_eur'] / corrective['total_cost_eur'] - 1:+.1%}" for r in results],
        ]
    )
    rows.append(
        [
            "energy availability vs corrective",
            *[
                f"{(r['energy_availability'] - corrective['energy_availability']) * 100:+.2f} pp"
                for r in results
            ],
        ]
    )
    print()
    print_table(rows)
    predictive = results[-1]
    print(
        f"\nmodel {predictive.get('model_version')}: {predictive.get('alarms_replayed')} true alarms and "
        f"{predictive.get('false_alarms_replayed')} false alarms replayed onto the fleet "
        f"({predictive.get('leads_cut_to_onset')} leads cut to the drift's onset)"
    )
    why = predictive.get("missed_because", {})
    print(
        "predictive's tripped episodes, by what stopped a repair before the trip: "
        + ", ".join(f"{k} {v}" for k, v in why.items())
    )
    saving = 1 - predictive["total_cost_eur"] / corrective["total_cost_eur"]
    gain = (predictive["energy_availability"] - corrective["energy_availability"]) * 100
    unsafe = sum(r["tasks_in_unsafe_wind"] for r in results)
    checks = {
        f"total cost {saving:.1%} lower (target >= 30%)": saving >= 0.30,
        f"energy availability {gain:+.2f} pp (target >= +1 pp)": gain >= 1.0,
        f"{unsafe} tasks in unsafe wind (target 0)": unsafe == 0,
    }
    for text, ok in checks.items():
        print(f"  {'met' if ok else 'NOT MET'}: {text}")
    print(f"cost table: {costs.SOURCE}")
    print(f"(all three strategies in {time.perf_counter() - started:.0f} s)")
    return 0


def simulate(strategy: str, world, args, evaluation) -> dict:
    return scenario.run(strategy, scenario=world, **simulation_options(args, evaluation))


def sweep(args, evaluation, started: float) -> int:
    """Corrective against predictive at each of `args.fault_rates`, one line per rate."""
    print(
        f"{args.days} days, {args.turbines} turbines, {args.crews} crews, seed {args.seed}, "
        f"solver {args.solver}, energy {args.energy_price:g} EUR/MWh, evaluation {evaluation}, "
        f"on-call {'yes' if args.on_call else 'no'}; the generator's own rate is "
        f"{scenario.generator_fault_rate():.1f} episodes per turbine-year"
    )
    rows = [
        [
            "episodes / turbine-year",
            "corrective availability",
            "predictive availability",
            "gain",
            "corrective total (EUR)",
            "predictive total (EUR)",
            "total vs corrective",
            "before / after trip",
            "false-alarm visits",
        ]
    ]
    for rate in args.fault_rates:
        world = scenario.generator_scenario(
            args.seed, args.turbines, args.days, args.crews, fault_rate=rate
        )
        began = time.perf_counter()
        corrective = simulate("corrective", world, args, evaluation)
        predictive = simulate("predictive", world, args, evaluation)
        gain = (predictive["energy_availability"] - corrective["energy_availability"]) * 100
        rows.append(
            [
                f"{corrective['fault_rate']:.1f}",
                f"{corrective['energy_availability']:.2%}",
                f"{predictive['energy_availability']:.2%}",
                f"{gain:+.2f} pp",
                f"{corrective['total_cost_eur']:,.0f}",
                f"{predictive['total_cost_eur']:,.0f}",
                f"{predictive['total_cost_eur'] / corrective['total_cost_eur'] - 1:+.1%}",
                f"{predictive['repaired_before_trip']:,} / {predictive['repaired_after_trip']:,}",
                f"{predictive['false_alarm_visits']:,}",
            ]
        )
        print(f"  {rate:g} per turbine-year: simulated in {time.perf_counter() - began:.1f} s")
    print()
    print_table(rows)
    print(f"cost table: {costs.SOURCE}")
    print(f"(all rates in {time.perf_counter() - started:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
