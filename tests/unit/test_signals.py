"""The one stop-on-signal helper: first signal asks for a stop, the second stops now."""

from __future__ import annotations

import os
import signal

import pytest

from workloads.signals import STOP_SIGNALS, StopOnSignal

pytestmark = pytest.mark.unit


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM, signal.SIGHUP])
def test_first_signal_asks_second_stops_now(sig):
    before = {s: signal.getsignal(s) for s in STOP_SIGNALS}
    with StopOnSignal(unit="the test") as stop:
        assert not stop.stopped
        os.kill(os.getpid(), sig)
        assert stop.stopped and stop.signals == [sig.name]
        with pytest.raises(KeyboardInterrupt):
            os.kill(os.getpid(), sig)
    assert {s: signal.getsignal(s) for s in STOP_SIGNALS} == before


def test_second_signal_can_hurry_instead_of_raising():
    hurried = []
    with StopOnSignal(on_second=lambda: hurried.append(True)) as stop:
        os.kill(os.getpid(), signal.SIGHUP)
        os.kill(os.getpid(), signal.SIGTERM)
    assert stop.stopped and hurried == [True]
    assert stop.signals == ["SIGHUP", "SIGTERM"]
