"""The turbine registry: checked rows, merged writes, published versions, the generated fleet."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from workloads import contract, registry, storage
from workloads.config import Paths
from workloads.errors import WindmillError
from workloads.generator import physics
from workloads.names import TURBINES

pytestmark = pytest.mark.unit


def rows(*turbines: tuple) -> pd.DataFrame:
    return pd.DataFrame(turbines, columns=list(registry.COLUMNS))


def test_write_merges_by_turbine_and_publishes_a_version(tmp_path):
    paths = Paths(tmp_path)
    assert registry.read(paths) is None
    registry.write_local(
        paths, rows(("A1", "North", 1.0, 2.0, 2000.0, "X"), ("B1", "South", 3.0, 4.0, 3000.0, None))
    )
    version = registry.write_local(paths, rows(("A1", "North", 1.5, 2.5, 2050.0, "Y")))
    assert version.number == 2 and storage.current_version(paths, TURBINES).rows == 2
    table = registry.read(paths).set_index("turbine_id")
    assert table.loc["A1", "rated_power_kw"] == 2050.0 and table.loc["A1", "model"] == "Y"
    assert table.loc["B1", "site"] == "South"


@pytest.mark.parametrize(
    ("turbines", "words"),
    [
        ((("A1", "S", 1.0, 2.0, 0.0, None),), "rated_power_kw must be a number above 0"),
        ((("A1", "S", 91.0, 2.0, 10.0, None),), "latitude 91.0 is not on the globe"),
        (
            (("A1", "S", 1.0, 2.0, 10.0, None), ("A1", "S", 1.0, 2.0, 10.0, None)),
            "lists turbine 'A1' twice",
        ),
        ((("", "S", 1.0, 2.0, 10.0, None),), "row 1 has no turbine id"),
    ],
)
def test_bad_rows_are_one_sentence(turbines, words):
    with pytest.raises(WindmillError, match=words):
        registry.check(rows(*turbines), source="assets.csv")


def test_a_position_may_be_unknown():
    checked = registry.check(rows(("A1", None, None, None, 2000.0, None)))
    assert np.isnan(checked.latitude[0]) and checked.site[0] is None


def test_the_generated_fleet_is_the_generator_positions_and_sites():
    fleet = registry.generated_fleet(6)
    latitude, longitude = physics.turbine_position(np.arange(1, 7))
    assert list(fleet.turbine_id) == [contract.turbine_id(n) for n in range(1, 7)]
    assert list(fleet.latitude) == list(latitude) and list(fleet.longitude) == list(longitude)
    assert list(fleet.site[:4]) == [site.name for site in physics.SITES]
    assert set(fleet.rated_power_kw) == {contract.RATED_POWER_KW}
    registry.check(fleet)
