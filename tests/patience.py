"""How long a test waits before it calls something hung.

A wait is a deadline, never a sleep: tests poll for readiness and return as soon as it is
there. The deadline only decides when a hang is declared, so it is generous, and longer on
a machine that was already busy when the run started (a CI box beside other jobs).
MOCKSERVER_TEST_PATIENCE sets the factor by hand.
"""

import os

FACTOR = float(os.environ.get("MOCKSERVER_TEST_PATIENCE") or 3 * max(1.0, os.getloadavg()[0] / (os.cpu_count() or 1)))


def patience(seconds: float) -> float:
    """`seconds`, what the wait takes on a quiet machine at worst, as a deadline here."""
    return seconds * FACTOR
