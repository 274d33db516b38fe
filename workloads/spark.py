"""Local Spark sessions, built one way for every command and test.

Two kinds of process exist locally:

- classic: a plain local session (the generator, because dbldatagen does not
  support Spark Connect);
- engine: a local JVM that owns the embedded Hive metastore under
  `$WINDMILL_HOME` and serves Spark Connect on 127.0.0.1; the Python side talks
  to it through a Spark Connect client, as Spark Declarative Pipelines require.
  Other processes can connect to the same engine through its port.

A Python process is one kind or the other, never both: once a process is in
Spark Connect mode, `pyspark.sql.functions` build Connect columns.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
from pathlib import Path

from workloads.config import LOCAL_DATABASE, Paths
from workloads.errors import WindmillError

# Small data, two cores: one shuffle partition per core beats the default 200. It also sets
# how many state-store partitions a streaming query gets when it first starts (kept in its
# checkpoint), so the deduplicating silver stream does one task per core each batch.
BASE_CONF: dict[str, str] = {
    "spark.sql.shuffle.partitions": "2",
    "spark.default.parallelism": "2",
    "spark.ui.enabled": "false",
    "spark.ui.showConsoleProgress": "false",
    "spark.sql.session.timeZone": "UTC",
    # Memory: the local stack runs two JVMs at once (the generator's and the engine's) next to
    # the dashboard within 2.5 GiB, and a JVM's resident size follows its heap limit, not its
    # data (a day of a 100-turbine fleet is ~150 MB of JSON). 1 GiB holds a first update over
    # a day of history with room to spare.
    "spark.driver.memory": "1g",
    "spark.sql.adaptive.enabled": "true",
    # A process killed while writing a query's first offset leaves only a temporary file in
    # `offsets/`; Spark's emptiness check would then refuse the restart forever. The pipeline
    # engine owns its checkpoints (never shared), so the check protects nothing here.
    "spark.sql.streaming.verifyCheckpointDirectoryEmptyOnStart": "false",
    "spark.sql.streaming.stateStore.providerClass": (
        "org.apache.spark.sql.execution.streaming.state.RocksDBStateStoreProvider"
    ),
    # RocksDB's memtables and block cache live outside the heap, 64 MB+ per state partition
    # by default; silver's deduplication keys (one day of readings) need a few MB.
    "spark.sql.streaming.stateStore.rocksdb.boundedMemoryUsage": "true",
    "spark.sql.streaming.stateStore.rocksdb.maxMemoryUsageMB": "128",
    # Each batch commits a changelog of its own keys instead of flushing and copying RocksDB's
    # files (snapshots are made in the background): silver's commit after a first update over
    # a day of history writes what that batch added, not the whole store.
    "spark.sql.streaming.stateStore.rocksdb.changelogCheckpointing.enabled": "true",
    # ...but a load replays every changelog since the last snapshot, and a snapshot is only
    # uploaded by the background maintenance (every 60 s by default) of a store still
    # loaded. Each pipeline update is a new query of a few seconds, so snapshots hardly
    # ever happened: every update replayed the whole chain, history batch included (a
    # 30-day history's 432,000 segment keys, put then evicted: 8.5 MB). A snapshot every
    # 2 versions, uploaded within 5 s, keeps the replay to one or two small changelogs
    # (benchmarks/pipeline_scaling.py's history case, README "Update cost").
    "spark.sql.streaming.stateStore.minDeltasForSnapshot": "2",
    "spark.sql.streaming.stateStore.maintenanceInterval": "5s",
}

# A process may ask for another heap size (`windmill up` gives its streaming generator, which
# writes ten readings a batch, a smaller one than a backfill or the engine need).
DRIVER_MEMORY_ENV = "WINDMILL_DRIVER_MEMORY"

# JVM flags for every local driver. The serial collector: one small heap on two cores, where
# G1's remembered sets and extra threads cost resident memory and buy no shorter pauses
# that matter here.
JVM_OPTIONS = ("-XX:+UseSerialGC",)
# glibc gives each JVM thread's native allocations its own 64 MB arena (up to 8 per core);
# two arenas keep the JVMs' native memory (RocksDB, Netty, compression) from fragmenting
# into hundreds of MB of resident pages.
MALLOC_ARENAS = "2"


def require_java() -> str:
    """Path of the `java` binary Spark will use, or one clear error."""
    java_home = os.environ.get("JAVA_HOME")
    java = str(Path(java_home) / "bin" / "java") if java_home else shutil.which("java")
    if not java or not Path(java).exists():
        raise WindmillError(
            "Java was not found; install Java 17 (e.g. `apt-get install openjdk-17-jre-headless`) "
            "or set JAVA_HOME."
        )
    try:
        subprocess.run([java, "-version"], capture_output=True, check=True, timeout=30)
    except (OSError, subprocess.SubprocessError):
        raise WindmillError(
            f"Java at {java} does not run; install Java 17 or fix JAVA_HOME."
        ) from None
    return java


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


LOG4J_CONFIG = Path(__file__).with_name("log4j2.properties")


def _quiet_logging(spark_context) -> None:
    spark_context.setLogLevel("ERROR")


def _java_options(*extra: str) -> str:
    """Driver JVM options: quiet logging, `JVM_OPTIONS`, the class archive `make setup`
    recorded (`workloads.jvm_archive`; starts are ~5 s faster with it), plus `extra`."""
    from workloads import jvm_archive

    options = (*JVM_OPTIONS, *jvm_archive.flags(), *extra)
    return " ".join((f"-Dlog4j2.configurationFile=file:{LOG4J_CONFIG}", *options))


def _jvm_environment() -> None:
    """Settings the JVM reads from its environment (pyspark launches it with ours)."""
    os.environ.setdefault("MALLOC_ARENA_MAX", MALLOC_ARENAS)


def _base_conf() -> dict[str, str]:
    """BASE_CONF with this process's heap size (`WINDMILL_DRIVER_MEMORY`, e.g. "512m"; Spark needs at least 450 MiB)."""
    memory = os.environ.get(DRIVER_MEMORY_ENV, "").strip()
    return {**BASE_CONF, "spark.driver.memory": memory} if memory else dict(BASE_CONF)


# Set by a Spark Connect process for itself; a child process inherits them but is not one.
_CONNECT_ENV = ("SPARK_CONNECT_MODE_ENABLED", "SPARK_LOCAL_REMOTE", "SPARK_REMOTE")
# The home of the engine this process started: its JVM (one per Python process) outlives a
# stopped engine, and an engine started in it afterwards for another home ran pipeline
# updates whose gold views came out empty (benchmarks/pipeline_scaling.py did that until
# each case got its own process). One home per process, then.
_ENGINE_HOME: Path | None = None


def _forget_inherited_connect_mode() -> None:
    for key in _CONNECT_ENV:
        os.environ.pop(key, None)


def hive_conf(paths: Paths, *java_options: str) -> dict[str, str]:
    """Settings that put the metastore and warehouse under `$WINDMILL_HOME` (and the driver
    JVM options, with `java_options` added)."""
    metastore = paths.metastore
    return {
        "spark.sql.catalogImplementation": "hive",
        "spark.sql.warehouse.dir": str(paths.warehouse),
        "spark.hadoop.javax.jdo.option.ConnectionURL": (
            f"jdbc:derby:;databaseName={metastore / 'metastore_db'};create=true"
        ),
        "spark.driver.extraJavaOptions": _java_options(
            f"-Dderby.system.home={metastore}", *java_options
        ),
    }


def classic_session(app_name: str = "windmill", conf: dict[str, str] | None = None):
    """A plain local session with no metastore (in-memory catalog)."""
    require_java()
    _forget_inherited_connect_mode()
    _jvm_environment()
    from pyspark.sql import SparkSession

    builder = SparkSession.builder.master("local[2]").appName(app_name)
    merged = {**_base_conf(), "spark.driver.extraJavaOptions": _java_options(), **(conf or {})}
    for key, value in merged.items():
        builder = builder.config(key, value)
    spark = builder.getOrCreate()
    _quiet_logging(spark.sparkContext)
    return spark


def engine_session(
    paths: Paths,
    app_name: str = "windmill-engine",
    port: int | None = None,
    java_options: tuple[str, ...] = (),
):
    """Start the local engine JVM (hive metastore + Spark Connect) and return a Connect session.

    Returns `(connect_session, port)`. `java_options` are added to the driver JVM's. Raises
    WindmillError if the metastore is already owned by another process, or if this process
    already started an engine on another home (start another process for that one).
    """
    global _ENGINE_HOME
    home = paths.home.resolve()
    if _ENGINE_HOME is not None and home != _ENGINE_HOME:
        raise WindmillError(
            f"This process already started the engine on {_ENGINE_HOME}; an engine on {home} "
            "needs a process of its own (the JVM keeps the first engine's state)."
        )
    require_java()
    _forget_inherited_connect_mode()
    _jvm_environment()
    paths.metastore.mkdir(parents=True, exist_ok=True)
    paths.warehouse.mkdir(parents=True, exist_ok=True)
    ours = port is None  # a port we picked may be taken by another process before we bind
    port = port or free_port()
    from pyspark.sql import SparkSession

    conf = {
        **_base_conf(),
        **hive_conf(paths, *java_options),
        "spark.plugins": "org.apache.spark.sql.connect.SparkConnectPlugin",
        "spark.connect.grpc.binding.address": "127.0.0.1",
        "spark.connect.grpc.binding.port": str(port),
        # The pipeline engine's control thread checks its flows' state, then sleeps this many
        # whole seconds; with the default 1, every layer of an update waits up to a second to
        # notice that its flows finished and the run another second to end (about 5 s of a
        # 13 s warm update). 0 makes the check continuous while an update runs (the thread
        # exists only during an update): warm updates take about half as long.
        "spark.sql.pipelines.execution.streamstate.pollingInterval": "0",
        # After a batch with data, a stream with a watermark (silver's deduplication) runs a
        # second, empty batch only to evict expired state; the next update's batch evicts it
        # just the same, so skip it (silver's share of an update drops from ~1.5 s to ~1 s).
        "spark.sql.streaming.noDataMicroBatches.enabled": "false",
        # Readers' tables are switched to new published versions with ALTER TABLE … SET
        # LOCATION (workloads.storage). A session caches each table's resolved relation and
        # only the altering session forgets it: another long-lived session (a reader kept
        # open) would read its first version forever. Without the cache every query resolves
        # the table's current location (a metastore lookup it makes anyway).
        "spark.sql.filesourceTableRelationCacheSize": "0",
    }
    for attempt in range(3):
        builder = SparkSession.builder.master("local[2]").appName(app_name).enableHiveSupport()
        for key, value in {**conf, "spark.connect.grpc.binding.port": str(port)}.items():
            builder = builder.config(key, value)
        try:
            classic = builder.getOrCreate()
            break
        except Exception as exc:
            # A port found free can be taken by another process before the JVM binds it
            # (engines started side by side): pick another, unless the caller chose it.
            if not ours or attempt == 2 or "Failed to bind" not in str(exc):
                raise
            port = free_port()
    _quiet_logging(classic.sparkContext)
    # From here on this process speaks Spark Connect (see the module docstring).
    os.environ["SPARK_CONNECT_MODE_ENABLED"] = "1"
    os.environ["SPARK_LOCAL_REMOTE"] = "1"
    from pyspark.sql.connect.session import SparkSession as ConnectSession

    spark = ConnectSession.builder.remote(f"sc://127.0.0.1:{port}").getOrCreate()
    try:
        spark.sql(f"CREATE DATABASE IF NOT EXISTS {LOCAL_DATABASE}")
    except Exception as exc:  # the metastore is locked by another process
        if "XSDB6" in str(exc) or "another instance of Derby" in str(exc).lower():
            raise WindmillError(
                f"The local metastore in {paths.metastore} is in use by another windmill process; "
                "stop it or use its engine."
            ) from None
        raise
    _ENGINE_HOME = home
    return spark, port


def stop_remote_session(session) -> None:
    """Stop a Connect session on another process's engine, leaving this process's own alone.

    pyspark's `stop()` also stops the local engine of a process in local-remote mode
    (`SPARK_LOCAL_REMOTE`, set by `engine_session`) and drops its Connect settings: a test
    process that queried a stack's engine that way lost its shared session.
    """
    local = os.environ.pop("SPARK_LOCAL_REMOTE", None)  # without it, stop() touches no env
    try:
        session.stop()
    finally:
        if local is not None:
            os.environ["SPARK_LOCAL_REMOTE"] = local


def connect_to_engine(port: int, new: bool = False):
    """A Spark Connect session on the engine at `port` (another process's, or this one's):
    this process's session there, or with `new` a session of its own."""
    os.environ["SPARK_CONNECT_MODE_ENABLED"] = "1"
    from pyspark.sql.connect.session import SparkSession as ConnectSession

    builder = ConnectSession.builder.remote(f"sc://127.0.0.1:{port}")
    return builder.create() if new else builder.getOrCreate()
