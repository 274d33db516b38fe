"""The local windmill system as supervised components, each a `windmill` command line.

    dashboard ─ starts at once (its URL works while history is generated)
    backfill  ─ first start only: `windmill generate` of the history's last hour, then a marker
    pipeline  ─ starts at once: `windmill pipeline run --continuous`; on a first start its
                engine comes up during the backfill and its first update waits for the marker
    history   ─ first start only, after that first update: the rest of the history, older
    generator ─ streaming batches; on a first start after the history
    dispatch  ─ after each completed pipeline update: `windmill dispatch` (re-plan)
    notifier  ─ with channels (`--notify URL` or $WINDMILL_NOTIFY): `windmill notify`
    score     ─ after updates, at most every 3 min, once a model exists: `windmill score`
    train     ─ once a week of history exists, then every 6 h: `windmill train`
    schedule  ─ after updates, at most every 2 min: `windmill schedule` (the multi-day plan)

The first start is ordered for the time until the page shows data: the engine's start
(tens of seconds of JVM and metastore) overlaps the backfill of the history's last hour,
that hour goes through in one small update (the page then shows every turbine, the fleet's
power and the open alerts), and nothing else starts a JVM on the two cores while it runs.
Only then is the older history written, and the next update takes it in one go; the
components that read history (dispatch, notifier, scoring, training, schedule, and the
streaming generator) wait for it. Older readings arriving after newer ones are what the
pipeline is built for: silver deduplicates on its own ingestion clock, and the episodes'
watermark accepts readings `episode_lateness_hours` (24 h) older than the newest, so the
split is made only for histories that short (see `backfill_slices`); a longer history is
written in one piece, as before.

Components are processes of the CLI (`python -m workloads.cli ...`), never imports of
their code: each can crash, be killed or be restarted on its own.

Backfill and restarts: the backfill's parameters (start, hours, seed, fleet) are fixed
in `run/backfill.json` before it first runs; `run/backfill.recent.done` is written once
the last hour succeeded and `run/backfill.done` once all of it did. A slice killed
half-way is rerun with the same parameters, so the generator rewrites the same batches
(same names, same rows: it is a pure function of seed, turbine and time, so a slice holds
exactly the rows of that time range of the whole history) instead of adding a second copy;
a completed slice is never run again.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import sys
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from workloads import names
from workloads.config import Paths
from workloads.engine.attach import running_engine
from workloads.errors import WindmillError
from workloads.generator.config import default as generator_default
from workloads.ledger import Ledger
from workloads.supervisor.process import ALWAYS, ON_FAILURE, Component

# Below this much free space the generator is not (re)started: a clear error instead of
# half-written batches and a crash loop; it starts again once space returns.
MIN_FREE_BYTES = 64 * 1024 * 1024


@dataclass(frozen=True)
class StackOptions:
    """What `windmill up` passes to its components (the generator's and dashboard's flags).

    The generator's options default to `GeneratorConfig`'s (their one home); the rest are
    the local system's own (`windmill up`'s flags take their defaults from here).
    """

    turbines: int = generator_default("turbines")
    records_per_batch: int = generator_default("records_per_batch")
    batch_interval: float = generator_default("batch_interval")
    backfill_hours: float = 24.0  # history written on a first start (not a generator default)
    seed: int = generator_default("seed")
    port: int = 5006
    address: str = "127.0.0.1"
    refresh_seconds: float = 15.0
    # An idle engine looks for new landing files this often (after an update that saw files
    # land, the next one starts at once).
    pipeline_interval: float = 0.5
    # Hidden/test options.
    max_iterations: int | None = None
    reading_interval: float | None = None
    # The planners after each update (dispatch, schedule, risk scoring and training);
    # tests that only exercise the data path turn them off.
    dispatch: bool = True
    # Notification channels (`--notify URL`, or $WINDMILL_NOTIFY); none: no notifier.
    notify: tuple[str, ...] = ()
    notify_level: str = "CRITICAL"
    # The notifier's grouping timers in seconds (None: the notifier's own defaults).
    group_wait: float | None = None
    group_interval: float | None = None
    # Re-plan after each completed update, but not more often than this: updates that
    # complete meanwhile are covered by the next plan (one re-plan costs a process).
    dispatch_every: float = 30.0
    min_free_bytes: int = MIN_FREE_BYTES


def windmill_cli(*args: str) -> list[str]:
    """The `windmill` command line run by this interpreter."""
    return [sys.executable, "-m", "workloads.cli", *args]


def _num(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


# Backfill bookkeeping ----------------------------------------------------------------------


def plan_file(paths: Paths) -> Path:
    return paths.run / "backfill.json"


def done_file(paths: Paths) -> Path:
    return paths.run / "backfill.done"


def landing_has_data(paths: Paths) -> bool:
    try:
        return any(not entry.name.startswith((".", "_")) for entry in os.scandir(paths.landing))
    except OSError:
        return False


def backfill_plan(paths: Paths, options: StackOptions, now: datetime | None = None) -> dict | None:
    """The backfill still to do, or None (done before, or the home already has data).

    The first call on an empty home fixes the plan in `run/backfill.json`; later calls
    (after a crash during the backfill) return that same plan.
    """
    if done_file(paths).exists():
        return None
    path = plan_file(paths)
    if path.exists():
        try:
            return json.loads(path.read_text())
        except (OSError, ValueError):
            pass  # unreadable: only possible if it was never completely written
    if landing_has_data(paths) or options.backfill_hours <= 0:
        return None  # not a first start (or no history wanted): nothing to backfill
    now = (now or datetime.now(UTC)).replace(microsecond=0)
    start = now - timedelta(hours=options.backfill_hours)
    plan = {
        "hours": options.backfill_hours,
        "start": start.isoformat().replace("+00:00", "Z"),
        "turbines": options.turbines,
        "seed": options.seed,
    }
    if options.reading_interval is not None:
        plan["reading_interval"] = options.reading_interval
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(plan))
    tmp.replace(path)
    return plan


def recent_done_file(paths: Paths) -> Path:
    return paths.run / "backfill.recent.done"


def mark_backfill_done(paths: Paths) -> None:
    done_file(paths).write_text(datetime.now(UTC).isoformat() + "\n")


def mark_recent_done(paths: Paths) -> None:
    recent_done_file(paths).write_text(datetime.now(UTC).isoformat() + "\n")


# The slice of history written first on a first start: enough for the page's first insight
# (every turbine's latest reading, the fleet's power, the faults open now), small enough
# that the first update over it is mostly the engine's fixed cost.
RECENT_HOURS = 1.0


def _iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def backfill_slices(plan: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The plan cut into what is written before the first update and what after it.

    {"recent": plan-of-the-last-RECENT_HOURS, "history": plan-of-the-rest}, or
    {"recent": plan} when the plan is not split: a short plan, or one longer than the
    episodes' lateness window (its oldest readings would arrive later than the pipeline
    accepts for episodes, see the module docstring).
    """
    from workloads.pipeline import settings

    hours = float(plan["hours"])
    lateness = float(settings.DEFAULTS[settings.EPISODE_LATENESS_HOURS])
    if hours <= 2 * RECENT_HOURS or hours > lateness:
        return {"recent": plan}
    start = datetime.fromisoformat(plan["start"].replace("Z", "+00:00"))
    older = hours - RECENT_HOURS
    recent = {**plan, "hours": RECENT_HOURS, "start": _iso(start + timedelta(hours=older))}
    return {"recent": recent, "history": {**plan, "hours": older}}


def backfill_argv(plan: dict[str, Any]) -> list[str]:
    argv = windmill_cli(
        "generate",
        "--backfill-hours",
        _num(plan["hours"]),
        "--start",
        plan["start"],
        "--turbines",
        str(plan["turbines"]),
        "--seed",
        str(plan["seed"]),
    )
    if plan.get("reading_interval") is not None:
        argv += ["--reading-interval", _num(plan["reading_interval"])]
    return argv


# Prechecks ----------------------------------------------------------------------------------


def landing_precheck(paths: Paths, min_free_bytes: int = MIN_FREE_BYTES) -> Callable[[], None]:
    """Before each generator start: the landing folder must be writable and have room."""

    def check() -> None:
        landing = paths.landing
        probe = landing / f".windmill-up-probe-{os.getpid()}"
        try:
            landing.mkdir(parents=True, exist_ok=True)
            probe.write_bytes(b"ok")
        except OSError as exc:
            reason = exc.strerror or type(exc).__name__
            if landing.exists() and not landing.is_dir():
                reason = "a file is in the folder's place"
            raise WindmillError(
                f"landing folder {landing} is not writable ({reason}); no batches are written "
                "until it is fixed, and the generator is retried automatically."
            ) from None
        finally:
            with contextlib.suppress(OSError):
                probe.unlink()
        free = shutil.disk_usage(landing).free
        if free < min_free_bytes:
            raise WindmillError(
                f"disk almost full under {landing} ({free // (1024 * 1024)} MB free, "
                f"{min_free_bytes // (1024 * 1024)} MB needed); free some space, the generator "
                "is retried automatically."
            )

    return check


# Dispatch trigger ---------------------------------------------------------------------------


class AfterEachUpdate:
    """True once per newly completed pipeline update (read from the ledger): re-plan after it.

    Only while the pipeline's engine is up (`run/engine.json`): the dispatcher then
    attaches to it instead of starting a second engine that would compete with the
    pipeline for the metastore.
    """

    def __init__(
        self, ledger: Ledger, pipeline_name: str, engine_up: Callable[[], bool] | None = None
    ) -> None:
        self.ledger = ledger
        self.pipeline_id = ledger.ensure_pipeline(pipeline_name)
        self.engine_up = engine_up or (lambda: True)
        # Updates from before this start were planned then; the pipeline's first update
        # after a start comes at once and triggers the next plan.
        self.seen: str | None = self._latest_completed()

    def _latest_completed(self) -> str | None:
        try:
            updates = self.ledger.list_updates(self.pipeline_id, limit=5)
        except Exception:  # noqa: BLE001 - a busy ledger just means "not now"
            return None
        completed = [u["update_id"] for u in updates if u["state"] == "COMPLETED"]
        return completed[0] if completed else None

    def __call__(self) -> bool:
        latest = self._latest_completed()
        if latest is None or latest == self.seen or not self.engine_up():
            return False
        self.seen = latest
        return True


class FirstUpdate:
    """True once the pipeline has completed an update (read from the ledger), then always.

    The older history waits for it on a first start: its generator's JVM would otherwise
    start on the same two cores as the engine's first update, and the page would show
    data later.
    """

    def __init__(self, ledger: Ledger, pipeline_name: str) -> None:
        self.ledger = ledger
        self.pipeline_id = ledger.ensure_pipeline(pipeline_name)
        self.done = False

    def __call__(self) -> bool:
        if not self.done:
            try:
                updates = self.ledger.list_updates(self.pipeline_id, limit=5)
            except Exception:  # noqa: BLE001 - a busy ledger just means "not now"
                return False
            self.done = any(u["state"] == "COMPLETED" for u in updates)
        return self.done


# The stack ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class StackContext:
    """What a component builder gets: the home, the options, the ledger, and `after`
    (the components the data-driven ones wait for: the backfill on a first start)."""

    paths: Paths
    options: StackOptions
    ledger: Ledger
    after: tuple[str, ...]

    @property
    def env(self) -> dict[str, str]:
        return {"WINDMILL_HOME": str(self.paths.home)}


ComponentBuilder = Callable[[StackContext], "Component | None"]


def dashboard(ctx: StackContext) -> Component:
    """The dashboard: starts at once, so its URL works while the history is written."""
    options = ctx.options
    argv = windmill_cli(
        "dashboard",
        "--port",
        str(options.port),
        "--address",
        options.address,
        "--refresh-seconds",
        _num(options.refresh_seconds),
    )
    return Component("dashboard", argv, job=names.DASHBOARD_JOB, env=ctx.env)


def generator(ctx: StackContext) -> Component:
    """Streaming batches; on a first start only after the backfill and the first update."""
    options = ctx.options
    generate = [
        "generate",
        "--turbines",
        str(options.turbines),
        "--records-per-batch",
        str(options.records_per_batch),
        "--batch-interval",
        _num(options.batch_interval),
        "--seed",
        str(options.seed),
    ]
    if options.max_iterations is not None:
        generate += ["--max-iterations", str(options.max_iterations)]
    return Component(
        "generator",
        windmill_cli(*generate),
        # A generator that reached --max-iterations is done; only crashes restart it.
        restart=ON_FAILURE,
        job=names.GENERATOR_JOB,
        records_own_runs=True,
        after=ctx.after,
        trigger=FirstUpdate(ctx.ledger, names.PIPELINE_NAME) if ctx.after else None,
        precheck=landing_precheck(ctx.paths, options.min_free_bytes),
        env=ctx.env,
    )


def pipeline(ctx: StackContext) -> Component:
    """The continuous pipeline. It starts at once: on a first start its engine comes up
    while the backfill writes the history, and its first update waits for the backfill's
    marker (`--start-after`), then takes the whole history as one bounded update."""
    argv = windmill_cli(
        "pipeline", "run", "--continuous", "--interval", _num(ctx.options.pipeline_interval)
    )
    if ctx.after:
        argv += ["--start-after", str(recent_done_file(ctx.paths))]
    return Component("pipeline", argv, restart=ALWAYS, pipeline=names.PIPELINE_NAME, env=ctx.env)


def dispatch(ctx: StackContext) -> Component | None:
    """The dispatcher: re-plans after completed updates, attached to the pipeline's engine."""
    options = ctx.options
    if not options.dispatch:
        return None
    return Component(
        "dispatch",
        windmill_cli("dispatch"),
        restart=ALWAYS,
        job=names.DISPATCH_JOB,
        records_own_runs=True,
        after=ctx.after,
        every=options.dispatch_every,
        trigger=_after_each_update(ctx),
        env=ctx.env,
    )


def _after_each_update(ctx: StackContext) -> AfterEachUpdate:
    """A fresh "new completed update" trigger (each component keeps its own state)."""
    return AfterEachUpdate(
        ctx.ledger, names.PIPELINE_NAME, lambda: running_engine(ctx.paths) is not None
    )


def notifier(ctx: StackContext) -> Component | None:
    """`windmill notify` when `windmill up` got channels (workloads/alerting/component.py)."""
    from workloads.alerting.component import notifier as build

    return build(ctx)


def score(ctx: StackContext) -> Component | None:
    """Risk scores after updates, once a model exists (the shipped one counts)."""
    if not ctx.options.dispatch:
        return None
    from workloads.model.component import scoring

    argv = windmill_cli("score")
    return scoring(ctx.paths, argv, _after_each_update(ctx), env=ctx.env, after=ctx.after)


def train(ctx: StackContext) -> Component | None:
    """Training once a week of history exists, then on a schedule."""
    if not ctx.options.dispatch:
        return None
    from workloads.model.component import training

    return training(ctx.paths, windmill_cli("train"), env=ctx.env, after=ctx.after)


def schedule(ctx: StackContext) -> Component | None:
    """The multi-day maintenance schedule, re-planned after updates."""
    if not ctx.options.dispatch:
        return None
    from workloads.schedule.component import scheduling

    argv = windmill_cli("schedule")
    return scheduling(argv, _after_each_update(ctx), env=ctx.env, after=ctx.after)


# The components after the backfill, in start order. A new component is one more builder
# here: a function of the StackContext that returns its Component, or None when its
# options turn it off.
BUILDERS: list[ComponentBuilder] = [generator, pipeline, dispatch, notifier, score, train, schedule]


def _history_slice(ctx: StackContext, name: str, plan: dict[str, Any], **kwargs) -> Component:
    """A slice of the first start's history: `windmill generate` of `plan`, a generator run."""
    return Component(
        name,
        backfill_argv(plan),
        restart=ON_FAILURE,
        job=names.GENERATOR_JOB,
        records_own_runs=True,
        precheck=landing_precheck(ctx.paths, ctx.options.min_free_bytes),
        env=ctx.env,
        **kwargs,
    )


def backfill(ctx: StackContext, plan: dict[str, Any], *, whole: bool) -> Component:
    """The first start's last hour of history, or all of it when `whole` (see the module
    docstring for restarts)."""
    paths = ctx.paths

    def done() -> None:
        mark_recent_done(paths)
        if whole:
            mark_backfill_done(paths)

    return _history_slice(ctx, "backfill", plan, on_success=done, echo=True)


def history(ctx: StackContext, plan: dict[str, Any], after: tuple[str, ...]) -> Component:
    """The older history, once the first update over the last hour has completed."""
    return _history_slice(
        ctx,
        "history",
        plan,
        after=after,
        trigger=FirstUpdate(ctx.ledger, names.PIPELINE_NAME),
        on_success=lambda: mark_backfill_done(ctx.paths),
    )


def components(
    paths: Paths,
    options: StackOptions,
    ledger: Ledger,
    builders: list[ComponentBuilder] | None = None,
) -> list[Component]:
    """The supervised components for this home, in start order: the dashboard, the
    backfill's slices on a first start, then each of `builders` (default `BUILDERS`)."""
    plan = backfill_plan(paths, options)
    slices = backfill_slices(plan) if plan is not None else {}
    first: list[Component] = []
    ctx = StackContext(paths, options, ledger, after=())
    if slices and not recent_done_file(paths).exists():
        first.append(backfill(ctx, slices["recent"], whole="history" not in slices))
    if "history" in slices:
        first.append(history(ctx, slices["history"], after=tuple(c.name for c in first)))
    # What reads history waits for all of it: the last slice written.
    ctx = replace(ctx, after=(first[-1].name,) if first else ())
    stack = [dashboard(ctx), *first]
    for build in BUILDERS if builders is None else builders:
        component = build(ctx)
        if component is not None:
            stack.append(component)
    return stack


def only(stack: list[Component], wanted: set[str]) -> list[Component]:
    """The components named in `wanted` (`windmill up --only`), with their history first,
    waiting only for components that are still in the stack."""
    wanted = set(wanted)
    if wanted & {"generator", "pipeline"}:
        wanted |= {"backfill", "history"}  # their history comes first
    kept = [c for c in stack if c.name in wanted]
    names_kept = {c.name for c in kept}
    result = []
    for component in kept:
        changes: dict[str, Any] = {"after": tuple(a for a in component.after if a in names_kept)}
        if isinstance(component.trigger, FirstUpdate) and "pipeline" not in names_kept:
            changes["trigger"] = None  # no pipeline here to wait for
        result.append(replace(component, **changes))
    return result
