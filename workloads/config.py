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
# Local table namespace; on Databricks this is the Unity Catalog schema.
LOCAL_DATABASE = "windmill"


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

    def table(self, name: str) -> Path:
        """Folder of a local pipeline table (Parquet) in the warehouse."""
        return self.warehouse / f"{LOCAL_DATABASE}.db" / name


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
