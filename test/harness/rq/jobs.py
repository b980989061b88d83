"""Tiny jobs the RQ tests enqueue on the harness's worker (importable as ``jobs`` from this folder)."""

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
