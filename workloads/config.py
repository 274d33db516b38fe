"""Where everything local lives: `$WINDMILL_HOME` (default `./.windmill`).

Deleting that folder resets the local system.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from workloads.errors import WindmillError

DEFAULT_HOME = ".windmill"
# Local table namespace readers use; on Databricks this is the Unity Catalog schema.
LOCAL_DATABASE = "windmill"
# The pipeline's own (private) database: its tables are rewritten in place by every update,
# so readers go through LOCAL_DATABASE, whose tables the engine points at published versions.
PIPELINE_DATABASE = "windmill_pipeline"


@dataclass(frozen=True)
class Paths:
    """Every local location derives from one home folder."""

    home: Path

    @property
    def landing(self) -> Path:
        return self.home / "landing" / "raw_sensor_data"

    @property
    def warehouse(self) -> Path:
        return self.home / "warehouse"

    @property
    def metastore(self) -> Path:
        return self.home / "metastore"

    @property
    def pipeline_storage(self) -> Path:
        """Streaming checkpoints and pipeline metadata."""
        return self.home / "pipeline"

    @property
    def ledger(self) -> Path:
        return self.home / "ledger.sqlite"

    @property
    def logs(self) -> Path:
        return self.home / "logs"

    @property
    def run(self) -> Path:
        """Runtime files: locks, pids, the engine's address."""
        return self.home / "run"

    @property
    def engine_file(self) -> Path:
        """The running engine's address (pid, Spark Connect port) while it lives."""
        return self.run / "engine.json"

    @property
    def supervisor_file(self) -> Path:
        """Who runs where under `windmill up` (`windmill status` reads it)."""
        return self.run / "supervisor.json"

    @property
    def supervisor_lock(self) -> Path:
        """Held (flock) by the one `windmill up` of this home."""
        return self.run / "supervisor.lock"

    @property
    def versions(self) -> Path:
        """Published, immutable versions of the tables readers see (workloads.storage)."""
        return self.warehouse / "_versions"

    def table(self, name: str) -> Path:
        """Folder the pipeline writes a table to (Parquet, rewritten in place for views).

        Read tables through `workloads.storage.read_table`, never this folder directly.
        """
        return self.warehouse / f"{PIPELINE_DATABASE}.db" / name


def home_from_env() -> Path:
    return Path(os.environ.get("WINDMILL_HOME", DEFAULT_HOME)).expanduser().resolve()


def paths(home: str | os.PathLike[str] | None = None) -> Paths:
    """Paths for `home` (default: `$WINDMILL_HOME` or `./.windmill`)."""
    return Paths(Path(home).expanduser().resolve() if home is not None else home_from_env())


def ensure_writable(folder: Path, what: str = "WINDMILL_HOME") -> Path:
    """Create `folder` if needed and prove it is writable, or raise one clear WindmillError."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=folder, prefix=".write-check-"):
            pass
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise WindmillError(
            f"{what} folder {folder} is not writable ({reason}); "
            f"set WINDMILL_HOME to a folder you can write to."
        ) from None
    return folder
