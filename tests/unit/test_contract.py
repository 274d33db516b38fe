import pytest

from workloads import contract

NORMAL = {
    "gearbox_temperature": 60.0,
    "generator_temperature": 55.0,
    "tower_lean": 0.2,
    "vibration_level": 0.5,
    "oil_pressure": 50.0,
    "power_output": 1500.0,
    "rotor_rpm": 12.0,
}


def reading(**changes):
    return {**NORMAL, **changes}


@pytest.mark.unit
@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({}, (None, "NORMAL", False)),
        ({"gearbox_temperature": 80.1}, ("GEARBOX_OVERHEAT", "CRITICAL", True)),
        ({"gearbox_temperature": 80.0}, (None, "NORMAL", False)),
        ({"generator_temperature": 75.5}, ("GENERATOR_OVERHEAT", "CRITICAL", True)),
        ({"tower_lean": 1.6}, ("TOWER_LEAN", "CRITICAL", True)),
        ({"vibration_level": 2.5}, ("HIGH_VIBRATION", "WARNING", True)),
        ({"oil_pressure": 30.0}, ("LOW_OIL_PRESSURE", "WARNING", True)),
        ({"power_output": 50.0}, ("LOW_POWER_OUTPUT", "INFO", False)),
        ({"power_output": 0.0, "rotor_rpm": 0.0}, (None, "NORMAL", False)),
    ],
)
def test_single_fault_rules(changes, expected):
    assert contract.classify(reading(**changes)) == expected


@pytest.mark.unit
def test_most_severe_fault_wins():
    both = reading(vibration_level=3.0, generator_temperature=90.0, power_output=10.0)
    assert contract.classify(both) == ("GENERATOR_OVERHEAT", "CRITICAL", True)
    critical_tie = reading(gearbox_temperature=95.0, tower_lean=2.0)
    assert contract.classify(critical_tie)[0] == "GEARBOX_OVERHEAT"


@pytest.mark.unit
def test_threshold_overrides():
    assert contract.classify(reading(gearbox_temperature=70.0), {"GEARBOX_OVERHEAT": 65.0})[0] == (
        "GEARBOX_OVERHEAT"
    )


@pytest.mark.unit
def test_schema_ddl_matches_columns():
    ddl = contract.raw_schema_ddl()
    assert ddl.startswith("turbine_id string, timestamp timestamp")
    assert len(contract.COLUMN_NAMES) == 22
    assert contract.turbine_id(1) == "TURBINE_00001"


@pytest.mark.unit
def test_the_struct_schema_needs_no_session_and_matches_the_ddl():
    # No Spark session exists in unit tests: building it must not ask for one.
    schema = contract.raw_schema()
    as_ddl = ", ".join(f"{f.name} {f.dataType.simpleString()}" for f in schema.fields)
    assert as_ddl == contract.raw_schema_ddl()
    assert all(f.nullable for f in schema.fields)


@pytest.mark.unit
def test_a_missing_or_null_sensor_never_makes_a_fault():
    assert contract.classify({"power_output": 10.0}) == (None, "NORMAL", False)  # no rpm
    assert contract.classify(reading(gearbox_temperature=None)) == (None, "NORMAL", False)
    partial = {"gearbox_temperature": 95.0}  # every other sensor unmeasured
    assert contract.classify(partial) == ("GEARBOX_OVERHEAT", "CRITICAL", True)


@pytest.mark.unit
def test_rated_power_scales_the_kw_rule_and_range():
    # 100 kW of a 3 MW machine is 68.3 kW of a 2050 kW one.
    assert contract.classify(reading(power_output=80.0), rated_power_kw=2050.0)[0] is None
    assert contract.classify(reading(power_output=60.0), rated_power_kw=2050.0)[0] == (
        "LOW_POWER_OUTPUT"
    )
    assert contract.classify(reading(power_output=80.0))[0] == "LOW_POWER_OUTPUT"
    assert contract.physical_range("power_output", 6000.0) == (-200.0, 8000.0)
    assert contract.physical_range("power_output") == contract.PHYSICAL_RANGES["power_output"]
    assert contract.physical_range("wind_speed", 6000.0) == contract.PHYSICAL_RANGES["wind_speed"]
