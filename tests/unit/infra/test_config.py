"""Per-environment configuration: defaults, cdktf.json context, WINDMILL_* variables."""

from __future__ import annotations

import json

import pytest

from infra.config import (
    DEFAULT_ENVIRONMENTS,
    ENVIRONMENTS,
    GeneratorDefaults,
    load_config,
    read_context,
    selected_environments,
)
from workloads.errors import WindmillError
from workloads.generator.generate import GeneratorConfig

pytestmark = pytest.mark.unit


def test_defaults_without_context_or_environment():
    dev = load_config("dev", context={}, environ={})
    assert dev.catalog == "users"
    assert dev.schema is None  # the deploying user's name, resolved at plan time
    assert dev.profile is None
    assert dev.development is True
    assert dev.generator == GeneratorDefaults(10, 15, 100_000)
    assert dev.stack_name == "windmill-dev"
    prod = load_config("prod", context={}, environ={})
    assert prod.development is False
    assert prod.serverless_pipeline is False


def test_cdktf_json_holds_a_context_per_environment():
    context = read_context()
    assert set(context) == set(ENVIRONMENTS)
    for env in ENVIRONMENTS:
        assert load_config(env, context=context, environ={}).env == env


def test_context_then_environment_variables_override():
    context = {"dev": {"catalog": "main", "generator": {"batch_interval": 5}}}
    config = load_config(
        "dev",
        context=context,
        environ={
            "WINDMILL_PROFILE": "work",
            "WINDMILL_SCHEMA": "turbines",
            "WINDMILL_SERVERLESS_JOBS": "true",
            "WINDMILL_NOTIFY_EMAILS": "a@example.org, b@example.org",
        },
    )
    assert config.catalog == "main"
    assert config.generator == GeneratorDefaults(10, 5, 100_000)
    assert config.profile == "work"
    assert config.schema == "turbines"
    assert config.serverless_jobs is True
    assert config.notification_emails == ("a@example.org", "b@example.org")
    overridden = load_config("dev", context=context, environ={"WINDMILL_CATALOG": "sandbox"})
    assert overridden.catalog == "sandbox"


@pytest.mark.parametrize(
    ("env", "context", "environ", "message"),
    [
        ("staging", {}, {}, "Unknown environment 'staging'"),
        ("dev", {"dev": {"hostname": "x"}}, {}, "Unknown setting 'hostname'"),
        ("dev", {}, {"WINDMILL_SERVERLESS_JOBS": "maybe"}, "must be true or false"),
    ],
)
def test_mistakes_are_explained(env, context, environ, message):
    with pytest.raises(WindmillError, match=message):
        load_config(env, context=context, environ=environ)


def test_selected_environments():
    # "large" is synthesized only by name: a plain synth never plans its clusters.
    assert selected_environments({}) == DEFAULT_ENVIRONMENTS == ("dev", "prod")
    assert selected_environments({"WINDMILL_ENV": "prod"}) == ("prod",)
    assert selected_environments({"WINDMILL_ENV": "large"}) == ("large",)
    with pytest.raises(WindmillError, match="WINDMILL_ENV"):
        selected_environments({"WINDMILL_ENV": "qa"})


def test_broken_cdktf_json_is_reported(tmp_path):
    broken = tmp_path / "cdktf.json"
    broken.write_text("{")
    with pytest.raises(WindmillError, match="not valid JSON"):
        read_context(broken)
    broken.write_text(json.dumps({"language": "python"}))
    assert read_context(broken) == {}


def test_generator_defaults_are_the_generators_own():
    defaults = GeneratorDefaults()
    plain = GeneratorConfig()
    for name in ("records_per_batch", "batch_interval", "max_iterations", "turbines"):
        assert getattr(defaults, name) == getattr(plain, name), name


def test_the_large_environment_is_sized_in_cdktf_json():
    large = load_config("large", environ={})
    assert large.serverless_pipeline is False and large.development is False
    assert (large.pipeline_min_workers, large.pipeline_max_workers) == (3, 8)
    assert large.node_type.min_cores == 8
    assert large.pipeline_continuous is True
    assert large.pipeline_spark_conf == {"spark.sql.shuffle.partitions": "64"}
    assert large.pipeline_overrides == {
        "max_files_per_trigger": "30",
        "file_discovery": "file_events",
    }
    # 99,999 turbines (ids have five digits), one reading each per 10 s: 10,000 readings/s.
    assert large.generator == GeneratorDefaults(100_000, 10, 100_000, 99_999)
    assert large.generator.records_per_batch / large.generator.batch_interval == 10_000


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"pipeline_max_workers": 4}, "set both pipeline_min_workers and pipeline_max_workers"),
        ({"pipeline_min_workers": 5, "pipeline_max_workers": 2}, "1 <= min <= max"),
        ({"pipeline_min_workers": 0, "pipeline_max_workers": 2}, "1 <= min <= max"),
        ({"pipeline_spark_conf": {"windmill.as_of": "x"}}, "takes Spark settings"),
        ({"pipeline_overrides": {"file_discovery": "polling"}}, "file_discovery must be one of"),
        ({"pipeline_overrides": {"no_such_key": "1"}}, "unknown pipeline setting 'no_such_key'"),
    ],
)
def test_sizing_mistakes_are_explained_at_synth_time(values, message):
    with pytest.raises(WindmillError, match=message):
        load_config("large", context={"large": values}, environ={})
