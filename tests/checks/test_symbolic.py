"""The SymPy time limit: an interrupt that gets lost is repeated, and nothing is left armed."""

from __future__ import annotations

import signal
import sys
import time

import pytest

from diffcli.checks.symbolic import SymbolicTimeout, time_limit


def test_an_interrupt_swallowed_once_is_repeated():
    swallowed = 0
    began = time.monotonic()
    with pytest.raises(SymbolicTimeout):
        with time_limit(0.05):
            while time.monotonic() - began < 5:
                try:
                    time.sleep(0.001)
                except SymbolicTimeout:
                    if swallowed:
                        raise
                    swallowed += 1  # lost, as in a __del__ or a weakref callback
    assert swallowed == 1 and time.monotonic() - began < 1


def test_the_alarm_and_the_handler_are_restored():
    before = signal.getsignal(signal.SIGALRM)
    with time_limit(10):
        assert signal.getitimer(signal.ITIMER_REAL)[0] > 0
    assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)
    assert signal.getsignal(signal.SIGALRM) is before
    with pytest.raises(SymbolicTimeout), time_limit(0.01):
        time.sleep(1)
    assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)
    assert signal.getsignal(signal.SIGALRM) is before


def test_an_interrupt_lost_in_a_destructor_is_not_printed_and_comes_again():
    reported = []

    class Slow:
        def __del__(self):
            time.sleep(0.5)  # the alarm fires in here, where an exception cannot propagate

    previous = sys.unraisablehook
    sys.unraisablehook = reported.append
    began = time.monotonic()
    try:
        with pytest.raises(SymbolicTimeout), time_limit(0.05):
            Slow()  # dropped at once: its __del__ swallows the first interrupt
            time.sleep(5)
    finally:
        sys.unraisablehook = previous
    assert reported == []  # nothing printed as "Exception ignored in …"
    assert time.monotonic() - began < 1
    assert sys.unraisablehook is previous
