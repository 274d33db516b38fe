import copy
import math

import pytest

from tests.unit.dispatch.conftest import DEGREE_KM, NOW, crew, task
from workloads.dispatch.model import haversine_km, parse_instance
from workloads.errors import WindmillError

pytestmark = pytest.mark.unit


def test_haversine_uses_earth_radius_6371_km():
    assert haversine_km(0, 0, 1, 0) == pytest.approx(DEGREE_KM, rel=1e-12)
    assert haversine_km(0, 0, 0, 180) == pytest.approx(math.pi * 6371.0, rel=1e-12)
    assert haversine_km(55.68, -4.27, 55.68, -4.27) == 0.0


def _document():
    return {
        "now": NOW,
        "crews": [crew("C1", 0.0, 0.0, ["mechanical"])],
        "tasks": [
            task("T1", 0.0, 1.0, "GEARBOX_OVERHEAT", "CRITICAL", 2.0),
            task("T2", 0.0, 2.0, "TOWER_LEAN", "WARNING", 1.0, skill="structural"),
        ],
    }


def test_parse_instance_derives_skill_and_deadline():
    instance = parse_instance(_document())
    first = instance.tasks[0]
    assert first.skill == "mechanical"  # from the fault code
    assert instance.deadline_hours(first) == pytest.approx(4.0)
    assert instance.tasks[1].skill == "structural"
    assert instance.crews[0].skills == frozenset({"mechanical"})


def _broken(path, value):
    document = _document()
    target = document
    for key in path[:-1]:
        target = target[key]
    if value is KeyError:
        del target[path[-1]]
    else:
        target[path[-1]] = value
    return document


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        (("tasks", 1, "skill"), "plumbing", "tasks[1].skill is an unknown skill 'plumbing'"),
        (
            ("crews", 0, "skills"),
            ["mechanical", "welding"],
            "crews[0].skills[1] is an unknown skill",
        ),
        (("tasks", 0, "duration_hours"), KeyError, "tasks[0].duration_hours is missing"),
        (("crews", 0, "speed_kmh"), KeyError, "crews[0].speed_kmh is missing"),
        (("now",), KeyError, "now is missing"),
        (("tasks", 0, "duration_hours"), -1, "tasks[0].duration_hours must be >= 0"),
        (("crews", 0, "shift_hours"), 0, "crews[0].shift_hours must be > 0"),
        (("crews", 0, "speed_kmh"), -5, "crews[0].speed_kmh must be > 0"),
        (("tasks", 1, "latitude"), 91.0, "tasks[1].latitude must be between -90 and 90"),
        (("crews", 0, "longitude"), -180.5, "crews[0].longitude must be between -180 and 180"),
        (("tasks", 0, "latitude"), "north", "tasks[0].latitude must be a number"),
        (("tasks", 0, "longitude"), float("nan"), "tasks[0].longitude must be a finite number"),
        (("tasks", 0, "alert_level"), "NORMAL", "tasks[0].alert_level must be one of"),
        (("tasks", 0, "opened_at"), "yesterday", "tasks[0].opened_at must be an ISO time"),
        (("tasks", 1, "task_id"), "T1", "tasks[1].task_id 'T1' is used twice"),
        (("tasks", 0, "fault_code"), "SQUEAK", None),  # unknown fault, no skill given
    ],
)
def test_bad_instances_name_the_field(path, value, message):
    document = _broken(path, value)
    if message is None:
        message = "tasks[0].skill is missing"
    with pytest.raises(WindmillError, match=None) as error:
        parse_instance(document)
    assert message in str(error.value)


def test_instance_must_be_an_object_with_lists():
    with pytest.raises(WindmillError, match="JSON object"):
        parse_instance([])
    document = _document()
    document["tasks"] = {"T1": {}}
    with pytest.raises(WindmillError, match="tasks must be a list"):
        parse_instance(document)
    document = copy.deepcopy(_document())
    document["crews"][0] = "C1"
    with pytest.raises(WindmillError, match=r"crews\[0\] must be an object"):
        parse_instance(document)
