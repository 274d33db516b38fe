"""Pipeline configuration: keys, defaults, overrides (pure Python)."""

from pathlib import Path

import pytest

from workloads.contract import DEFAULT_THRESHOLDS
from workloads.pipeline import settings

pytestmark = pytest.mark.unit
REPO = Path(__file__).resolve().parents[3]


def test_configuration_has_every_key_with_prefix_and_string_values():
    conf = settings.pipeline_configuration("/data/landing")
    assert conf["windmill.landing_path"] == "/data/landing"
    assert all(k.startswith("windmill.") and isinstance(v, str) for k, v in conf.items())
    for code, value in DEFAULT_THRESHOLDS.items():
        assert float(conf[f"windmill.threshold.{code}"]) == value


def test_overrides_and_thresholds_round_trip_through_settings():
    conf = settings.pipeline_configuration(
        "/x", threshold_GEARBOX_OVERHEAT=85, dedup_window_hours=2, as_of="2026-01-05T00:00:00Z"
    )
    parsed = settings.settings_from(conf.get)
    assert parsed.thresholds["GEARBOX_OVERHEAT"] == 85.0
    assert parsed.thresholds["TOWER_LEAN"] == DEFAULT_THRESHOLDS["TOWER_LEAN"]
    assert parsed.dedup_window_hours == 2.0
    assert parsed.as_of == "2026-01-05T00:00:00Z"


def test_unknown_setting_and_format_are_rejected():
    with pytest.raises(KeyError):
        settings.pipeline_configuration("/x", no_such_key=1)
    conf = settings.pipeline_configuration("/x", landing_format="csv")
    with pytest.raises(ValueError, match="landing_format"):
        settings.settings_from(conf.get)


def test_dataset_files_exist_one_per_table():
    from workloads.names import PIPELINE_TABLES

    names = [Path(f).stem for f in settings.DATASET_FILES]
    assert sorted(names) == sorted(PIPELINE_TABLES)
    for f in settings.DATASET_FILES:
        assert (REPO / f).is_file(), f
        assert (settings.transformations_dir() / Path(f).name).is_file()


def test_expectations_apply_only_where_the_runtime_has_them(monkeypatch):
    from pyspark import pipelines as dp

    from workloads.pipeline import sources

    def query():
        return None

    assert sources.expectations(sources.BRONZE_EXPECTATIONS)(query) is query
    seen = {}
    monkeypatch.setattr(
        dp, "expect_all", lambda rules: seen.setdefault("rules", rules), raising=False
    )
    sources.expectations(sources.BRONZE_EXPECTATIONS)
    assert seen["rules"] == sources.BRONZE_EXPECTATIONS


class _Conf:
    """A session conf that counts round trips; `getAll` only if `bulk`."""

    def __init__(self, values: dict[str, str], bulk: bool) -> None:
        self.values = values
        self.gets: list[str] = []
        self.bulk = bulk

    def get(self, key, default=None):
        self.gets.append(key)
        return self.values.get(key, default)

    def __getattr__(self, name):
        if name == "getAll" and self.bulk:
            return dict(self.values)
        raise AttributeError(name)


class _Session:
    def __init__(self, conf: _Conf) -> None:
        self.conf = conf


@pytest.mark.parametrize("bulk", [True, False])
def test_read_settings_fetches_the_conf_once_and_asks_only_for_missing_keys(bulk):
    values = settings.pipeline_configuration("/landing", alert_window_hours=6)
    del values[settings.PREFIX + settings.FAULT_WINDOW_HOURS]  # not set: default applies
    conf = _Conf(values, bulk=bulk)

    read = settings.read_settings(_Session(conf))

    assert read.landing_path == "/landing"
    assert read.alert_window_hours == 6.0
    assert read.fault_window_hours == float(settings.DEFAULTS[settings.FAULT_WINDOW_HOURS])
    if bulk:
        assert conf.gets == [settings.PREFIX + settings.FAULT_WINDOW_HOURS]
    else:
        assert len(conf.gets) == len(settings.DEFAULTS)


def test_read_settings_uses_the_conf_the_engine_just_set_without_fetching_it():
    values = settings.pipeline_configuration("/landing", alert_window_hours=6)
    del values[settings.PREFIX + settings.FAULT_WINDOW_HOURS]  # not set: default applies
    conf = _Conf({}, bulk=False)  # the session itself: every round trip is counted

    with settings.known_conf(values):
        read = settings.read_settings(_Session(conf))

    assert read.landing_path == "/landing" and read.alert_window_hours == 6.0
    assert conf.gets == [settings.PREFIX + settings.FAULT_WINDOW_HOURS]  # only the unknown key
    settings.read_settings(_Session(conf))  # outside: the session is asked again
    assert len(conf.gets) == 1 + len(settings.DEFAULTS)


def test_file_discovery_chooses_auto_loaders_options():
    from workloads.pipeline.sources import autoloader_options

    def options(**overrides):
        conf = settings.pipeline_configuration("/x", max_files_per_trigger=30, **overrides)
        return autoloader_options(settings.settings_from(conf.get))

    listing = {"cloudFiles.format": "text", "cloudFiles.maxFilesPerTrigger": "30"}
    assert options() == listing  # the default: Auto Loader lists the landing folder
    assert options(file_discovery="file_events") == {
        **listing,
        "cloudFiles.useManagedFileEvents": "true",
    }
    assert options(file_discovery="Notifications") == {
        **listing,
        "cloudFiles.useNotifications": "true",
    }
    conf = settings.pipeline_configuration("/x", file_discovery="polling")
    with pytest.raises(ValueError, match="file_discovery must be one of"):
        settings.settings_from(conf.get)
