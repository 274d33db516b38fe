"""Code the workspace runs: the project wheel on the artifacts volume, the pipeline's
dataset files and the clean-up job's SQL and script as workspace files, and the
notebooks (fleet analysis, agent interaction) in the deployment's folder."""

from __future__ import annotations

from pathlib import Path

from constructs import Construct

from infra.artifacts import RUNTIME_WHEEL, WHEEL_NAME
from infra.catalog import UnityCatalog
from infra.cdk import File, Fn, Notebook, WorkspaceFile
from infra.config import REPO_ROOT
from workloads.pipeline.settings import DATASET_FILES

DROP_TABLES_SQL = REPO_ROOT / "infra" / "sql" / "drop_tables.sql"
EMPTY_LANDING_PY = REPO_ROOT / "infra" / "tasks" / "empty_landing.py"
# Databricks source-format notebooks (`# Databricks notebook source`, cells split by
# `# COMMAND ----------`): the original's analysis and agent-interaction notebooks.
NOTEBOOKS = tuple(sorted((REPO_ROOT / "infra" / "notebooks").glob("*.py")))


class CodeArtifacts(Construct):
    """Uploads, each a resource whose `source` is a file of this checkout.

    Attributes: `wheel` (databricks_file) and `wheel_path` (its /Volumes path),
    `pipeline_files` (databricks_workspace_file per dataset file, in DATASET_FILES
    order), `drop_tables_sql` and `empty_landing_py` (the "Drop Tables" job's steps),
    `notebooks` (databricks_notebook per file of NOTEBOOKS, under `<root>/notebooks/`) and
    `workspace_root` (the deployment's folder).
    """

    def __init__(
        self,
        scope: Construct,
        id_: str,
        *,
        catalog: UnityCatalog,
        user_home: str,
        env: str,
        wheel: Path = RUNTIME_WHEEL,
    ) -> None:
        super().__init__(scope, id_)
        self.workspace_root = f"{user_home}/.windmill/{env}"
        self.wheel = File(
            self,
            "wheel",
            path=f"{catalog.artifacts_path}/{WHEEL_NAME}",
            source=str(wheel),
            md5=Fn.filemd5(str(wheel)),
        )
        self.wheel_path: str = self.wheel.path
        self.pipeline_files: list[WorkspaceFile] = []
        for relative in DATASET_FILES:
            source = REPO_ROOT / relative
            self.pipeline_files.append(self._upload(f"pipeline-{source.stem}", source, relative))
        self.drop_tables_sql = self._upload(
            "drop-tables-sql", DROP_TABLES_SQL, f"sql/{DROP_TABLES_SQL.name}"
        )
        self.empty_landing_py = self._upload(
            "empty-landing-py", EMPTY_LANDING_PY, f"tasks/{EMPTY_LANDING_PY.name}"
        )
        self.notebooks = [
            Notebook(
                self,
                f"notebook-{source.stem.replace('_', '-')}",
                path=f"{self.workspace_root}/notebooks/{source.stem}",
                source=str(source),
                language="PYTHON",
                md5=Fn.filemd5(str(source)),
            )
            for source in NOTEBOOKS
        ]

    def _upload(self, id_: str, source: Path, relative: str) -> WorkspaceFile:
        # md5 makes Terraform re-upload when the local file changes.
        return WorkspaceFile(
            self,
            id_,
            path=f"{self.workspace_root}/{relative}",
            source=str(source),
            md5=Fn.filemd5(str(source)),
        )

    @property
    def uploads(self) -> list[File | WorkspaceFile]:
        """Every uploaded file resource."""
        return [self.wheel, *self.pipeline_files, self.drop_tables_sql, self.empty_landing_py]
