"""The workspace and access stacks, synthesized for real (Testing.synth)."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

from infra.artifacts import DIST_NAME, RUNTIME_WHEEL
from infra.cdk import Testing
from infra.code import DROP_TABLES_SQL, EMPTY_LANDING_PY
from infra.config import REPO_ROOT, GeneratorDefaults
from tests.unit.infra.synth_helpers import (
    declared_addresses,
    one,
    references,
    resources,
    stack,
    synth,
)
from workloads import names
from workloads.pipeline.settings import DATASET_FILES

pytestmark = pytest.mark.unit

CURRENT_USER = "data.databricks_current_user.compute_me"


def has(synthesized: str, resource_type: str, properties: dict) -> bool:
    return Testing.to_have_resource_with_properties(synthesized, resource_type, properties)


def test_all_purpose_cluster_is_photon_single_user_for_the_current_user():
    dev = synth()
    assert has(
        dev,
        "databricks_cluster",
        {"runtime_engine": "PHOTON", "data_security_mode": "SINGLE_USER"},
    )
    cluster = one(dev, "databricks_cluster")
    assert cluster["single_user_name"].startswith(f"${{{CURRENT_USER}")
    assert cluster["single_user_name"].endswith(".user_name}")
    assert cluster["spark_version"].startswith("${data.databricks_spark_version.")
    assert cluster["node_type_id"].startswith("${data.databricks_node_type.")
    assert cluster["autotermination_minutes"] == 30
    assert "windmill" in cluster["cluster_name"]


def test_runtime_and_node_type_come_from_data_sources():
    dev = synth()
    assert Testing.to_have_data_source_with_properties(
        dev,
        "databricks_spark_version",
        {"long_term_support": True, "latest": True, "scala": "2.13", "spark_version": "4.0"},
    )
    (runtime,) = json.loads(dev)["data"]["databricks_spark_version"].values()
    assert "photon" not in runtime  # deprecated: it finds only 13.3 LTS and older
    assert Testing.to_have_data_source_with_properties(
        dev, "databricks_node_type", {"local_disk": True}
    )
    assert Testing.to_have_data_source(dev, "databricks_current_user")
    # no cloud-specific names hard-coded anywhere
    assert not re.search(r'"(i3|m5|Standard_|n1-)[\w.-]*"', dev)
    assert not re.search(r'"\d+\.\d+\.x-(photon-)?scala', dev)


def test_schema_and_volumes():
    dev = synth()
    schema = one(dev, "databricks_schema")
    assert schema["catalog_name"] == "users"
    assert schema["name"].endswith(".alphanumeric}")  # the deploying user's name
    volumes = {v["name"]: v for v in resources(dev, "databricks_volume")}
    assert set(volumes) == {"landing", "artifacts"}
    assert all(v["volume_type"] == "MANAGED" for v in volumes.values())
    named = synth(schema="windmill_demo", catalog="main")
    assert has(named, "databricks_schema", {"catalog_name": "main", "name": "windmill_demo"})


def test_existing_schema_is_referenced_not_created():
    unmanaged = synth(schema="alice", manage_schema=False)
    assert resources(unmanaged, "databricks_schema") == []
    assert has(unmanaged, "databricks_volume", {"schema_name": "alice", "catalog_name": "users"})


def test_pipeline_catalog_schema_libraries_and_configuration():
    dev = synth()
    pipeline = one(dev, "databricks_pipeline")
    assert pipeline["name"] == names.PIPELINE_NAME
    assert pipeline["catalog"].startswith("${databricks_schema.")
    assert pipeline["schema"].startswith("${databricks_schema.")
    files = {f["path"]: f for f in resources(dev, "databricks_workspace_file")}
    libraries = [lib["file"]["path"] for lib in pipeline["library"]]
    assert len(libraries) == len(DATASET_FILES)
    for library, relative in zip(libraries, DATASET_FILES, strict=True):
        # each library is the workspace path of the upload of that dataset file
        address = library.removeprefix("${").removesuffix(".workspace_path}")
        upload = json.loads(dev)["resource"]["databricks_workspace_file"][address.split(".")[1]]
        assert upload["source"] == str(REPO_ROOT / relative)
        assert upload["path"] in files
    assert pipeline["environment"]["dependencies"] == [
        "${" + f"databricks_file.{_wheel_id(dev)}.path" + "}"
    ]
    config = pipeline["configuration"]
    assert config["windmill.landing_path"].endswith(".volume_path}/raw_sensor_data")
    assert config["windmill.threshold.GEARBOX_OVERHEAT"] == "80.0"
    assert pipeline["development"] is True
    assert pipeline["serverless"] is True


def test_prod_pipeline_is_photon_classic_and_not_development():
    prod = synth("prod")
    pipeline = one(prod, "databricks_pipeline")
    assert pipeline["development"] is False
    assert pipeline["photon"] is True
    assert "serverless" not in pipeline
    assert pipeline["cluster"][0]["node_type_id"].startswith("${data.databricks_node_type.")


def generator_flags(synthesized: str) -> dict[str, str]:
    """The generator job's `windmill generate` flags and their values."""
    task = one(synthesized, "databricks_job", name=names.GENERATOR_JOB)["task"][0]
    parameters = task["python_wheel_task"]["parameters"]
    return dict(zip(parameters[1::2], parameters[2::2], strict=True))


def test_large_environment_autoscales_a_continuous_pipeline_for_a_large_fleet():
    large = synth("large")
    pipeline = one(large, "databricks_pipeline")
    (cluster,) = pipeline["cluster"]
    assert cluster["autoscale"] == {"min_workers": 3, "max_workers": 8, "mode": "ENHANCED"}
    assert "num_workers" not in cluster
    assert pipeline["photon"] is True and pipeline["development"] is False
    config = pipeline["configuration"]
    assert config["spark.sql.shuffle.partitions"] == "64"
    assert config["windmill.max_files_per_trigger"] == "30"
    assert config["windmill.file_discovery"] == "file_events"
    assert pipeline["continuous"] is False  # it runs continuously through the job below
    refresh = one(large, "databricks_job", name=names.PIPELINE_REFRESH_JOB)
    assert refresh["continuous"] == {"pause_status": "UNPAUSED"}
    flags = generator_flags(large)
    assert (flags["--turbines"], flags["--records-per-batch"], flags["--batch-interval"]) == (
        "99999",
        "100000",
        "10",
    )
    # dev and prod keep a fixed-size (or serverless) pipeline that a job triggers
    for env in ("dev", "prod"):
        synthesized = synth(env)
        assert "continuous" not in one(
            synthesized, "databricks_job", name=names.PIPELINE_REFRESH_JOB
        )
        assert (
            "spark.sql.shuffle.partitions"
            not in one(synthesized, "databricks_pipeline")["configuration"]
        )
    assert one(synth("prod"), "databricks_pipeline")["cluster"][0]["num_workers"] == 1


def test_pipeline_overrides_reach_the_configuration():
    tuned = synth(pipeline_overrides={"threshold.GEARBOX_OVERHEAT": "85"})
    pipeline = one(tuned, "databricks_pipeline")
    assert pipeline["configuration"]["windmill.threshold.GEARBOX_OVERHEAT"] == "85"


def _wheel_id(synthesized: str) -> str:
    (wheel_id,) = json.loads(synthesized)["resource"]["databricks_file"]
    return wheel_id


def test_generator_job_parameters_and_defaults():
    dev = synth()
    job = one(dev, "databricks_job", name=names.GENERATOR_JOB)
    (task,) = job["task"]
    wheel_task = task["python_wheel_task"]
    assert wheel_task["package_name"] == DIST_NAME
    assert wheel_task["entry_point"] == "windmill"
    params = wheel_task["parameters"]
    assert params[0] == "generate"
    flags = dict(zip(params[1::2], params[2::2], strict=True))
    assert flags["--records-per-batch"] == "10"
    assert flags["--batch-interval"] == "15"
    assert flags["--max-iterations"] == "100000"
    assert flags["--turbines"] == "100"
    tuned = synth(generator=GeneratorDefaults(records_per_batch=50, batch_interval=0.5))
    flags = generator_flags(tuned)
    assert (flags["--records-per-batch"], flags["--batch-interval"]) == ("50", "0.5")
    assert flags["--landing"].endswith(".volume_path}/raw_sensor_data")
    assert task["library"] == [{"whl": "${" + f"databricks_file.{_wheel_id(dev)}.path" + "}"}]


def test_wheel_jobs_run_on_photon_single_user_job_clusters():
    dev = synth()
    for name in (names.GENERATOR_JOB, names.DISPATCH_JOB):
        job = one(dev, "databricks_job", name=name)
        (cluster,) = job["job_cluster"]
        new = cluster["new_cluster"]
        assert new["runtime_engine"] == "PHOTON"
        assert new["data_security_mode"] == "SINGLE_USER"
        assert new["single_user_name"].endswith(".user_name}")
        assert job["task"][0]["job_cluster_key"] == cluster["job_cluster_key"]
    dispatch = one(dev, "databricks_job", name=names.DISPATCH_JOB)
    parameters = dispatch["task"][0]["python_wheel_task"]["parameters"]
    assert parameters[:2] == ["dispatch", "--catalog"] and parameters[3] == "--schema"
    # Both name the schema resource, so the job runs only once the schema exists.
    assert parameters[2].endswith(".catalog_name}") and parameters[4].endswith(".name}")


def test_serverless_jobs_use_an_environment_with_the_wheel():
    serverless = synth(serverless_jobs=True)
    job = one(serverless, "databricks_job", name=names.DISPATCH_JOB)
    assert "job_cluster" not in job
    (environment,) = job["environment"]
    assert environment["spec"]["dependencies"] == [
        "${" + f"databricks_file.{_wheel_id(serverless)}.path" + "}"
    ]
    assert job["task"][0]["environment_key"] == environment["environment_key"]


def test_the_generator_stays_on_classic_compute_when_jobs_go_serverless():
    for serverless in (synth(serverless_jobs=True), synth("prod", serverless_jobs=True)):
        job = one(serverless, "databricks_job", name=names.GENERATOR_JOB)
        assert "environment" not in job
        (cluster,) = job["job_cluster"]
        assert cluster["new_cluster"]["runtime_engine"] == "PHOTON"
        assert cluster["new_cluster"]["spark_version"].startswith(
            "${data.databricks_spark_version."
        )
        (task,) = job["task"]
        assert task["job_cluster_key"] == cluster["job_cluster_key"]
        assert "environment_key" not in task
        assert task["library"] == [
            {"whl": "${" + f"databricks_file.{_wheel_id(serverless)}.path" + "}"}
        ]


def test_refresh_and_drop_tables_jobs():
    dev = synth()
    refresh = one(dev, "databricks_job", name=names.PIPELINE_REFRESH_JOB)
    assert refresh["task"][0]["pipeline_task"]["pipeline_id"].startswith("${databricks_pipeline.")
    drop = one(dev, "databricks_job", name=names.DROP_TABLES_JOB)
    tasks = {t["task_key"]: t for t in drop["task"]}
    assert list(tasks) == [
        "drop_outside_tables",
        "empty_landing_requested",
        "empty_landing",
        "reset_pipeline",
    ]
    sql_task = tasks["drop_outside_tables"]["sql_task"]
    assert sql_task["warehouse_id"].startswith("${databricks_sql_endpoint.")
    assert sql_task["file"]["source"] == "WORKSPACE"
    assert "drop-tables-sql" in sql_task["file"]["path"]
    assert set(sql_task["parameters"]) == {"catalog", "schema"}
    # the pipeline's own tables are reset through the pipeline, after the SQL drops
    reset = tasks["reset_pipeline"]
    assert reset["pipeline_task"]["full_refresh"] is True
    assert reset["pipeline_task"]["pipeline_id"].startswith("${databricks_pipeline.")
    assert {d["task_key"] for d in reset["depends_on"]} == {"drop_outside_tables", "empty_landing"}
    assert reset["run_if"] == "NONE_FAILED"  # also when emptying the landing folder is skipped
    # emptying the landing folder: only when the job parameter says so (default off)
    assert drop["parameter"] == [{"name": "empty_landing", "default": "false"}]
    assert tasks["empty_landing_requested"]["condition_task"] == {
        "left": "{{job.parameters.empty_landing}}",
        "op": "EQUAL_TO",
        "right": "true",
    }
    empty = tasks["empty_landing"]
    assert empty["depends_on"] == [{"task_key": "empty_landing_requested", "outcome": "true"}]
    assert "empty-landing-py" in empty["spark_python_task"]["python_file"]
    assert empty["spark_python_task"]["parameters"][0].endswith(".volume_path}/raw_sensor_data")
    (cluster,) = drop["job_cluster"]
    assert empty["job_cluster_key"] == cluster["job_cluster_key"]
    assert cluster["new_cluster"]["data_security_mode"] == "SINGLE_USER"  # /Volumes mounted


def test_drop_tables_sql_drops_exactly_the_tables_written_outside_the_pipeline():
    sql = DROP_TABLES_SQL.read_text()
    statements = [line for line in sql.splitlines() if line and not line.startswith("--")]
    assert statements == [
        f"DROP TABLE IF EXISTS IDENTIFIER(:catalog || '.' || :schema || '.{table}');"
        for table in names.OUTSIDE_PIPELINE_TABLES
    ]
    # SQL cannot drop a pipeline's materialized views and streaming tables
    for table in names.PIPELINE_TABLES:
        assert table not in sql


def test_every_job_name_contains_windmill_and_notifications_come_from_config():
    dev = synth()
    jobs = resources(dev, "databricks_job")
    assert len(jobs) == 7  # generator, refresh, drop tables, dispatch, notifier, train, score
    assert all("windmill" in j["name"].lower() for j in jobs)
    assert all("email_notifications" not in j for j in jobs)
    notified = synth(notification_emails=("ops@example.org",))
    for job in resources(notified, "databricks_job"):
        assert job["email_notifications"]["on_failure"] == ["ops@example.org"]
    pipeline = one(notified, "databricks_pipeline")
    assert pipeline["notification"][0]["email_recipients"] == ["ops@example.org"]


def test_warehouse_is_small_serverless_and_stops_itself():
    assert has(
        synth(),
        "databricks_sql_endpoint",
        {
            "cluster_size": "2X-Small",
            "enable_serverless_compute": True,
            "auto_stop_mins": 10,
            "max_num_clusters": 1,
        },
    )


def test_app_resources_and_permissions():
    dev = synth()
    app = one(dev, "databricks_app")
    assert app["name"] == names.APP_NAME
    by_name = {r["name"]: r for r in app["resources"]}
    warehouse = by_name["sql-warehouse"]["sql_warehouse"]
    assert warehouse["permission"] == "CAN_USE"
    assert warehouse["id"].startswith("${databricks_sql_endpoint.")
    jobs = [r["job"] for r in app["resources"] if "job" in r]
    assert len(jobs) == 7  # the notifier and model jobs too: the dashboard lists their runs
    assert all(j["permission"] == "CAN_VIEW" for j in jobs)
    permissions = resources(dev, "databricks_permissions")
    pipeline_view = next(p for p in permissions if "pipeline_id" in p)
    (ace,) = pipeline_view["access_control"]
    assert ace["permission_level"] == "CAN_VIEW"
    assert ace["service_principal_name"].endswith(".service_principal_client_id}")
    app_users = next(p for p in permissions if "app_name" in p)
    assert app_users["access_control"] == [{"group_name": "users", "permission_level": "CAN_USE"}]


def test_gold_grants_give_the_app_read_access_and_nothing_more():
    access = synth(kind="access")
    grants = resources(access, "databricks_grant")
    principals = {g["principal"] for g in grants}
    assert principals == {"${data.databricks_app.app.app.service_principal_client_id}"}
    by_target = {
        (k, g[k]): g["privileges"] for g in grants for k in ("catalog", "schema", "table") if k in g
    }
    assert by_target.pop(("catalog", "users")) == ["USE_CATALOG"]
    ((kind, _), privileges) = [(k, v) for k, v in by_target.items() if k[0] == "schema"][0]
    assert privileges == ["USE_SCHEMA"]
    tables = {t.rsplit(".", 1)[1]: p for (k, t), p in by_target.items() if k == "table"}
    # The alert desk: it reads the outbox and records acks and silences, nothing more.
    assert tables.pop("alert_outbox") == ["SELECT"]
    assert tables.pop("alert_actions") == ["SELECT", "MODIFY"]
    # exactly the tables the dashboard reads: the pipeline's four gold tables, the
    # dispatch plan, the risk scores and turbine registry (the map) and silver (a trend)
    assert tables == {t: ["SELECT"] for t in names.DASHBOARD_TABLES}
    assert {
        names.GOLD_STATUS,
        names.GOLD_ALERTS,
        names.GOLD_HOURLY,
        names.GOLD_FAULTS,
        names.GOLD_DISPATCH,
        names.GOLD_RISK,
        names.TURBINES,
        names.SILVER,
    } == set(tables)
    assert resources(access, "databricks_grants") == []  # never the authoritative kind
    assert Testing.to_have_data_source_with_properties(
        access, "databricks_app", {"name": names.APP_NAME}
    )
    without_catalog = resources(synth(kind="access", grant_catalog_use=False), "databricks_grant")
    assert [g for g in without_catalog if "catalog" in g] == []
    assert len(without_catalog) == len(grants) - 1


def test_infra_takes_the_dashboards_tables_from_names_not_from_the_dashboard():
    for path in sorted((REPO_ROOT / "infra").rglob("*.py")):
        source = path.read_text()
        assert not re.search(r"^\s*(from|import) dashboard\b", source, re.M), path


def test_outputs():
    outputs = json.loads(synth())["output"]
    for name in (
        "app_url",
        "pipeline_id",
        "generator_job_id",
        "pipeline_refresh_job_id",
        "drop_tables_job_id",
        "dispatch_job_id",
        "warehouse_id",
    ):
        assert outputs[name]["value"].startswith("${"), name
    assert outputs["app_url"]["value"].endswith(".url}")


def test_every_uploaded_file_has_a_local_source():
    dev = synth()
    uploads = resources(dev, "databricks_workspace_file") + resources(dev, "databricks_file")
    sources = {u["source"] for u in uploads}
    assert str(RUNTIME_WHEEL) in sources  # built by `windmill deploy` (tested there)
    expected = {str(REPO_ROOT / f) for f in DATASET_FILES} | {
        str(DROP_TABLES_SQL),
        str(EMPTY_LANDING_PY),
        str(RUNTIME_WHEEL),
    }
    assert sources == expected
    for upload in uploads:
        assert upload["md5"] == '${filemd5("' + upload["source"] + '")}'
    missing = [s for s in sources - {str(RUNTIME_WHEEL)} if not (REPO_ROOT / s).is_file()]
    assert missing == []


@pytest.mark.parametrize("env", ["dev", "prod", "large"])
@pytest.mark.parametrize("kind", ["workspace", "access"])
def test_synthesized_json_holds_no_credentials_or_hosts(env, kind):
    synthesized = synth(env, kind, profile="windmill-test")
    lowered = synthesized.lower()
    for word in ("token", "password", "client_secret", "dapi", "azure_client", "google_cred"):
        assert word not in lowered, word
    assert not re.search(r"https?://", synthesized)
    assert not re.search(
        r"\.(cloud\.databricks\.com|azuredatabricks\.net|gcp\.databricks\.com)", lowered
    )
    providers = json.loads(synthesized)["provider"]["databricks"]
    assert providers == [{"profile": "windmill-test"}]


@pytest.mark.parametrize("kind", ["workspace", "access"])
def test_every_reference_points_at_a_declared_block(kind):
    synthesized = synth(kind=kind)
    assert references(synthesized) <= declared_addresses(synthesized)


def _provider_available_offline() -> bool:
    return bool(shutil.which("terraform")) and any(
        (p / "registry.terraform.io" / "databricks").exists()
        for p in (
            REPO_ROOT / ".terraform.d" / "plugins",
            REPO_ROOT.home() / ".terraform.d" / "plugins",
        )
    )


@pytest.mark.skipif(
    not _provider_available_offline(),
    reason="terraform validate needs the databricks provider, which is not downloadable here",
)
def test_full_synth_is_valid_terraform():
    assert Testing.to_be_valid_terraform(Testing.full_synth(stack()))


def test_the_analysis_and_agent_notebooks_are_deployed_as_source_format_python():
    dev = synth()
    notebooks = {Path(n["path"]).name: n for n in resources(dev, "databricks_notebook")}
    assert set(notebooks) == {"fleet_analysis", "agent_interaction"}
    for name, notebook in notebooks.items():
        source = Path(notebook["source"])
        assert source == REPO_ROOT / "infra" / "notebooks" / f"{name}.py"
        assert notebook["language"] == "PYTHON"
        assert notebook["path"].endswith(f"/.windmill/dev/notebooks/{name}")
        folder = json.loads(dev)["output"]["notebooks_path"]["value"]
        assert notebook["path"] == f"{folder}/{name}"
        assert notebook["md5"] == '${filemd5("' + str(source) + '")}'
        text = source.read_text()
        assert text.startswith("# Databricks notebook source\n")
        cells = text.split("\n# COMMAND ----------\n")
        assert len(cells) >= 5
        compile(text, str(source), "exec")  # valid Python, cell by cell too
        for cell in cells:
            compile(cell, f"{source} cell", "exec")
    analysis = notebooks["fleet_analysis"]["source"]
    text = Path(analysis).read_text()
    # the original README's five examples, and charts of the gold tables
    for example in (
        "ORDER BY timestamp DESC LIMIT 100",
        "GROUP BY fault_code, alert_level",
        "maintenance_needed = true",
        "MAX(ingestion_timestamp)",
        "GROUP BY batch_id",
    ):
        assert example in text, example
    for gold in (names.GOLD_HOURLY, names.GOLD_FAULTS, names.GOLD_ALERTS, names.GOLD_STATUS):
        assert gold in text, gold
    agent = Path(notebooks["agent_interaction"]["source"]).read_text()
    assert "ask_genie(" in agent and "conversation_id=first.conversation_id" in agent
    assert "uc_function_info" in agent


# Alerting (infra/alerting.py) -----------------------------------------------------------------


def test_the_notifier_job_reads_its_channels_from_a_secret_and_runs_every_10_minutes():
    dev = synth()
    job = one(dev, "databricks_job", name="windmill-notifier")
    params = job["task"][0]["python_wheel_task"]["parameters"]
    assert params[0] == "notify"
    assert params[params.index("--notify-secret") + 1] == "windmill-dev-notify/notify"
    assert "--state" not in params  # the schema's Delta alert tables
    assert "--notify" not in params and not any("://" in p for p in params)
    assert job["schedule"]["quartz_cron_expression"] == "0 0/10 * * * ?"
    assert job["schedule"]["pause_status"] == "PAUSED"  # dev: started by hand
    assert job["max_concurrent_runs"] == 1
    prod = one(synth("prod"), "databricks_job", name="windmill-notifier")
    assert prod["schedule"]["pause_status"] == "UNPAUSED"
    assert one(dev, "databricks_secret_scope")["name"] == "windmill-dev-notify"


def test_open_critical_episodes_are_a_sql_alert_on_the_warehouse():
    alert = one(synth(), "databricks_alert_v2")
    assert names.GOLD_EPISODES in alert["query_text"]
    assert "alert_level = 'CRITICAL' AND ended_at IS NULL" in alert["query_text"]
    assert alert["warehouse_id"].startswith("${databricks_sql_endpoint.")
    evaluation = alert["evaluation"]
    assert evaluation["comparison_operator"] == "GREATER_THAN"
    assert evaluation["threshold"]["value"]["double_value"] == 0
    assert evaluation["notification"]["notify_on_ok"] is True
    assert alert["schedule"]["quartz_cron_schedule"] == "0 * * * * ?"


def test_destinations_come_from_the_config_and_notify_every_jobs_failures():
    dev = synth()
    assert resources(dev, "databricks_notification_destination") == []
    assert all("webhook_notifications" not in j for j in resources(dev, "databricks_job"))
    notified = synth(notification_emails=("ops@example.org",))
    (email,) = resources(notified, "databricks_notification_destination")
    assert email["config"]["email"]["addresses"] == ["ops@example.org"]
    for job in resources(notified, "databricks_job"):
        (hook,) = job["webhook_notifications"]["on_failure"]
        assert hook["id"].startswith("${databricks_notification_destination.")
    subscriptions = one(notified, "databricks_alert_v2")["evaluation"]["notification"]
    assert subscriptions["subscriptions"][0]["destination_id"].startswith(
        "${databricks_notification_destination."
    )


def test_the_webhook_destination_url_is_a_sensitive_variable_not_a_value():
    from infra.stacks import WorkspaceStack
    from tests.unit.infra.synth_helpers import config

    app = Testing.app()
    built = WorkspaceStack(app, "test-webhook", config=config(), webhook=True)
    synthesized = Testing.synth(built)
    variable = json.loads(synthesized)["variable"]["notify_webhook_url"]
    assert variable["sensitive"] is True and "default" not in variable
    hook = [
        d
        for d in resources(synthesized, "databricks_notification_destination")
        if "generic_webhook" in d["config"]
    ]
    assert hook[0]["config"]["generic_webhook"]["url"] == "${var.notify_webhook_url}"
    assert "https://" not in json.dumps(hook)
