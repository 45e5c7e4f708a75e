"""The work queue behaves as client-go's rate-limited delaying queue."""

from __future__ import annotations

from secretsops.controllers.queue import Backoff, WorkQueue


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_a_key_added_twice_is_handed_out_once() -> None:
    q = WorkQueue()
    q.add(("shop", "db"))
    q.add(("shop", "db"))
    assert q.get(timeout=0) == ("shop", "db")
    assert q.get(timeout=0) is None


def test_a_key_added_while_processed_comes_back_only_after_done() -> None:
    q = WorkQueue()
    q.add("k")
    assert q.get(timeout=0) == "k"
    q.add("k")
    assert q.get(timeout=0) is None  # never to a second worker at the same time
    q.done("k")
    assert q.get(timeout=0) == "k"


def test_retries_back_off_exponentially_per_key_until_forgotten() -> None:
    clock = Clock()
    q = WorkQueue(backoff=Backoff(base=1.0, cap=100.0), clock=clock)
    assert [q.retry("k") for _ in range(4)] == [1.0, 2.0, 4.0, 8.0]
    assert q.retry("other") == 1.0
    q.forget("k")
    assert q.retry("k") == 1.0


def test_the_backoff_is_capped() -> None:
    assert Backoff(base=1.0, cap=300.0).delay(20) == 300.0


def test_a_key_added_for_later_is_not_handed_out_before_its_time() -> None:
    clock = Clock()
    q = WorkQueue(clock=clock)
    q.add_after("k", 10.0)
    assert q.get(timeout=0) is None
    assert q.pending(horizon=0) == 0 and q.pending(horizon=10) == 1
    clock.now = 10.0
    assert q.get(timeout=0) == "k"


def test_shutdown_ends_a_waiting_get() -> None:
    q = WorkQueue()
    q.shutdown()
    assert q.get() is None


def test_quiet_for_counts_from_the_last_add_even_of_a_key_already_queued() -> None:
    clock = Clock()
    q = WorkQueue(clock=clock)
    clock.now = 10.0
    q.add("k")
    clock.now = 11.0
    q.add("k")  # deduplicated, but objects are still arriving
    clock.now = 11.5
    assert q.quiet_for() == 0.5
