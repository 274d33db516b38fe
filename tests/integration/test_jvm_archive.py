"""The class archive `make setup` records (workloads/jvm_archive.py): local JVMs map it, and
a stale or broken one is ignored without a word."""

from __future__ import annotations

import subprocess
from pathlib import Path

import psutil
import pytest

from workloads import jvm_archive
from workloads.spark import require_java

pytestmark = pytest.mark.integration


def test_flags_follow_the_archive_and_the_switch(tmp_path, monkeypatch):
    archive = tmp_path / "spark.jsa"
    monkeypatch.setenv(jvm_archive.ARCHIVE_ENV, str(archive))
    assert jvm_archive.flags() == ()  # not built: nothing to map
    archive.write_bytes(b"x")
    assert jvm_archive.flags()[0] == f"-XX:SharedArchiveFile={archive}"
    monkeypatch.setenv(jvm_archive.ARCHIVE_ENV, "off")
    assert jvm_archive.flags() == ()


def test_a_broken_or_stale_archive_is_ignored_quietly(tmp_path):
    """An archive from another Java or other jars must never stop a JVM, nor clutter stderr."""
    java = require_java()

    def version(*flags: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [java, *flags, "-version"], capture_output=True, text=True, timeout=60
        )

    broken = tmp_path / "broken.jsa"
    broken.write_bytes(b"not an archive" * 1000)
    result = version(f"-XX:SharedArchiveFile={broken}", *jvm_archive.QUIET)
    assert result.returncode == 0 and "openjdk version" in result.stderr.lower(), result.stderr
    recorded = jvm_archive.archive_path()
    if recorded is None:
        pytest.skip("no class archive recorded (make setup records it)")
    # The recorded archive belongs to Spark's class path: a JVM without it (as after a
    # pyspark upgrade) cannot use it. It says so unless told not to; with QUIET it runs.
    # (The JVM's log goes to stdout, which a Spark driver shares with its Python process.)
    noisy = version(f"-XX:SharedArchiveFile={recorded}")
    assert noisy.returncode == 0 and "unable to use shared archive" in noisy.stdout.lower()
    quiet = version(f"-XX:SharedArchiveFile={recorded}", *jvm_archive.QUIET)
    output = (quiet.stdout + quiet.stderr).lower()
    assert quiet.returncode == 0 and "shared archive" not in output, output


def test_the_engine_maps_the_recorded_archive(spark):
    """The test process's engine JVM (started with the archive `make test` recorded) has the
    archive's pages mapped: the JVM accepted it (one it rejects is never mapped)."""
    archive = jvm_archive.archive_path()
    if archive is None:
        pytest.skip("no class archive recorded (make setup records it)")
    assert spark.sql("SELECT 1 AS one").collect()[0].one == 1

    def started_with_archive(process: psutil.Process) -> bool:
        try:
            return any(arg.startswith("-XX:SharedArchiveFile=") for arg in process.cmdline())
        except psutil.Error:  # a child that has just ended (a zombie has no command line)
            return False

    jvms = [p for p in psutil.Process().children(recursive=True) if started_with_archive(p)]
    assert jvms, "the engine JVM was started without the archive"
    maps = Path(f"/proc/{jvms[0].pid}/maps").read_text()
    assert str(archive) in maps, "the engine JVM did not map the archive"
