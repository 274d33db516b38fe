"""The one cost table of maintenance actions, crew time and lost energy (scheduler and simulation).

Source of the gearbox and generator rows: EDP Open Data, "Hack the Wind" (2018) wind
turbine failure-detection challenge, cost table per component: gearbox replacement
100,000 EUR / repair 20,000 / inspection 5,000; generator 60,000 / 15,000 / 5,000.
In that challenge a fault caught in time is *repaired*, a fault missed fails and the
component is *replaced*, and a false alarm costs an *inspection*; we use the same mapping:

- repair before the trip (predictive work on an alarm, or a fault found on inspection):
  `repair_eur`, `repair_hours`;
- repair after the trip (corrective): `replace_eur`, `replace_hours`, after
  `lead_hours` of parts and crane mobilisation during which the turbine stays down;
- an inspection (a false alarm, a fixed-interval visit): `inspect_eur`, INSPECTION_HOURS.

The other three fault kinds have no row in the EDP table; their costs are ASSUMPTIONS of
this project, scaled to the EDP rows by how heavy the component is (stated per row).
Crew time, driving and the energy price are assumptions too, and configurable.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

SOURCE = (
    "EDP Open Data 'Hack the Wind' (2018) failure-detection challenge cost table: gearbox "
    "100k replacement / 20k repair / 5k inspection; generator 60k / 15k / 5k (EUR). "
    "Vibration, oil and tower-lean rows, crew time, driving and energy price: assumptions."
)


@dataclass(frozen=True)
class ActionCosts:
    """Costs (EUR) and work hours of the actions on one fault kind."""

    replace_eur: float  # after the trip: replacement / major repair
    repair_eur: float  # before the trip: repair of the developing fault
    inspect_eur: float  # an inspection visit (false alarm, scheduled inspection)
    replace_hours: float  # work on the tower after the trip (fits one shift with driving)
    repair_hours: float  # work on the tower before the trip
    lead_hours: float  # after a trip: parts / crane before work can start
    source: str


FAULT_COSTS: Mapping[str, ActionCosts] = {
    "GEARBOX_OVERHEAT": ActionCosts(100_000, 20_000, 5_000, 6.0, 3.0, 48.0, "EDP"),
    "GENERATOR_OVERHEAT": ActionCosts(60_000, 15_000, 5_000, 5.0, 2.5, 24.0, "EDP"),
    # Assumed: a main/generator bearing class repair (between generator and hydraulics).
    "HIGH_VIBRATION": ActionCosts(30_000, 8_000, 3_000, 4.0, 2.0, 12.0, "assumed"),
    # Assumed: lubrication/hydraulic unit: cheap parts, short work.
    "LOW_OIL_PRESSURE": ActionCosts(15_000, 3_000, 2_000, 2.0, 1.0, 0.0, "assumed"),
    # Assumed: structural (bolt re-tensioning before; foundation works after).
    "TOWER_LEAN": ActionCosts(50_000, 10_000, 3_000, 6.0, 2.5, 24.0, "assumed"),
}
INSPECTION_HOURS = 1.5  # assumed: one visit, climb and checks
INSPECTION_EUR = 5_000.0  # EDP's inspection cost, for a visit with no fault found
CREW_HOUR_EUR = 120.0  # assumed: a two-technician crew, per hour on shift work or driving
KM_EUR = 0.6  # assumed: service vehicle per km
ENERGY_PRICE_EUR_PER_MWH = 60.0  # assumed default; `--energy-price`


def costs_of(fault_code: str) -> ActionCosts:
    """The row of a fault kind (a KeyError names an unknown kind)."""
    return FAULT_COSTS[fault_code]


def table_rows() -> list[dict]:
    """The table as rows (README, `windmill simulate --format json`)."""
    return [
        {"fault_code": code, **{k: v for k, v in vars(row).items()}}
        for code, row in FAULT_COSTS.items()
    ]
