"""Whether a parse's time grows linearly with its input, measured on machine-made inputs.

Each size is timed in CPU time of this thread (a busy machine's other processes do not
count), as the best of several runs, each run repeating the call until the smaller input
takes a few milliseconds. An input `factor` times longer may take `factor` times as long, and up to four times
that again for noise; a quadratic parse takes `factor` times more than that.
"""

import time
from collections.abc import Callable
from typing import Any

from tests.patience import patience


def seconds(run: Callable[[Any], Any], value: Any, repeat: int, tries: int = 5) -> float:
    best = float("inf")
    for _ in range(tries):
        started = time.thread_time()
        for _ in range(repeat):
            run(value)
        best = min(best, time.thread_time() - started)
    return best


def assert_linear(run: Callable[[Any], Any], make: Callable[[int], Any], size: int, factor: int = 16) -> None:
    """`make(n)` gives an input of about n characters; `run` is what is timed."""
    small, large = make(size), make(size * factor)
    repeat = 1
    while seconds(run, small, repeat, tries=1) < 0.003 and repeat < 4096:
        repeat *= 2
    took_small, took_large = seconds(run, small, repeat), seconds(run, large, repeat)
    assert took_large / repeat < patience(0.5), f"{took_large / repeat:.3f} s for {size * factor:,} characters"
    ratio = took_large / took_small
    took = f"{factor}x the input took {ratio:.0f}x the time ({took_small:.4f} s, {took_large:.4f} s)"
    assert ratio < 4 * factor, took
