"""The mapping file: the issue's shape loads; every mistake is one sentence with file and line."""

from __future__ import annotations

import pytest

from workloads.errors import WindmillError
from workloads.ingest import mapping, sample

pytestmark = pytest.mark.unit


def write(tmp_path, text: str):
    (tmp_path / "assets.csv").write_text("Wind_turbine_name,Latitude,Longitude,Rated_power\n")
    path = tmp_path / "mapping.toml"
    path.write_text(text)
    return path


def good(**changes) -> str:
    values = {"format": "csv", "delimiter": ";", "power_scale": 1.0, "assets": "assets.csv"}
    values["site"] = "My wind farm"
    return sample.MAPPING.format(**{**values, **changes})


def test_the_issue_shape_loads(tmp_path):
    rules = mapping.load(write(tmp_path, good()))
    assert (rules.format, rules.delimiter, rules.timezone) == ("csv", ";", "Europe/Paris")
    assert rules.timestamp == "Date_time" and rules.turbine == "Wind_turbine_name"
    assert rules.columns["power_output"] == "P_avg" and rules.scale == {"power_output": 1.0}
    assert rules.assets.file == tmp_path / "assets.csv"
    assert rules.assets.site_name == "My wind farm"
    assert rules.source_columns()[:3] == ["Wind_turbine_name", "Date_time", "Ws_avg"]


def test_defaults_and_optional_sections(tmp_path):
    text = '[source]\nformat = "parquet"\ntimestamp = "t"\nturbine = "id"\n\n[columns]\nwind_speed = "ws"\n'
    rules = mapping.load(write(tmp_path, text))
    assert (rules.timezone, rules.timestamp_format, rules.assets, rules.scale) == (
        "UTC",
        "",
        None,
        {},
    )


@pytest.mark.parametrize(
    ("old", "new", "line", "words"),
    [
        (
            'wind_speed = "Ws_avg"',
            'wind_sped = "Ws_avg"',
            10,
            "[columns] wind_sped: not a contract column",
        ),
        ('format = "csv"', 'format = "xlsx"', 2, "[source] format: must be one of csv, parquet"),
        ('timezone = "Europe/Paris"', 'timezone = "Mars/Olympus"', 6, "is not a time zone"),
        ("power_output = 1.0", 'power_output = "x"', 21, "[scale] power_output: must be a number"),
        ('delimiter = ";"', 'delimiter = ";;"', 3, "must be one character"),
        ('file = "assets.csv"', 'file = "nowhere.csv"', 24, "nowhere.csv does not exist"),
        ('site_name = "My wind farm"', 'site_name = ""', 30, "set a site column"),
        (
            'turbine = "Wind_turbine_name"\n\n[columns]',
            'turbine = "Wind_turbine_name"\nextra = "x"\n\n[columns]',
            8,
            "[source] extra: unknown key",
        ),
    ],
)
def test_each_mistake_names_file_line_and_key(tmp_path, old, new, line, words):
    text = good()
    assert old in text
    path = write(tmp_path, text.replace(old, new, 1))
    with pytest.raises(WindmillError) as caught:
        mapping.load(path)
    message = str(caught.value)
    assert message.startswith(f"Mapping file {path}, line {line}, "), message
    assert words in message
    assert message.count(".") >= 1 and "\n" not in message


def test_scale_of_an_unmapped_column_and_missing_sections(tmp_path):
    text = good().replace("[scale]\npower_output = 1.0", "[scale]\noil_pressure = 2.0")
    with pytest.raises(WindmillError, match=r"line 21, \[scale\] oil_pressure: is not mapped"):
        mapping.load(write(tmp_path, text))
    with pytest.raises(WindmillError, match=r"line 1: the \[columns\] section is missing"):
        mapping.load(write(tmp_path, '[source]\nformat = "csv"\ntimestamp = "t"\nturbine = "i"\n'))


def test_invalid_toml_is_one_sentence(tmp_path):
    with pytest.raises(WindmillError, match=r"is not valid TOML: .*line 2"):
        mapping.load(write(tmp_path, "[source]\nformat = csv\n"))
