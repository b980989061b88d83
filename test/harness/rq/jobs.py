"""Tiny jobs the RQ tests enqueue on the harness's worker (importable as ``jobs`` from this folder)."""

import os
import time


def add(a, b):
    """Returns a + b."""
    return a + b


def sleep_then(seconds, value):
    """Sleeps ``seconds`` then returns ``value`` (a job that is still running when a test needs one)."""
    time.sleep(seconds)
    return value


def fail(message="job failed on purpose"):
    """Raises, so the job ends in the failed registry."""
    raise RuntimeError(message)


def hold_until_file(path, value, timeout=300):
    """Creates ``path + '.started'``, then waits (up to ``timeout`` s) until ``path`` exists and returns ``value``:
    a running job that lasts exactly as long as a test needs, however slow the machine."""
    open(path + ".started", "w").close()
    deadline = time.time() + timeout
    while not os.path.exists(path):
        if time.time() > deadline:
            raise TimeoutError("nobody created " + path)
        time.sleep(0.05)
    return value
