"""The idle collector (animetui.ui.collector): full garbage-collector passes only while the user is idle."""

from __future__ import annotations

import gc

import pytest

from animetui.ui.collector import IdleCollector


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def collector():
    clock = Clock()
    saved = gc.get_threshold()
    c = IdleCollector(idle_after=1.5, min_young=2, force_after=50, clock=clock)
    c.clock_ = clock  # type: ignore[attr-defined]
    yield c
    c.stop()
    assert gc.get_threshold() == saved, "thresholds put back"


def _young_collections(n: int) -> None:
    for _ in range(n):
        gc.collect(1)  # counts as one generation-1 pass toward the next full one


def test_collector_runs_full_passes_only_when_idle(collector):
    collector.start()
    assert gc.get_threshold()[2] > 10**6, "no automatic full passes"
    _young_collections(3)
    collector.note_input()
    collector.clock_.now += 0.5
    assert not collector.tick(), "the user just pressed a key"
    collector.clock_.now += 1.5
    assert collector.tick() and collector.full_passes == 1
    assert gc.get_count()[2] == 0
    assert not collector.tick(), "nothing new since the last full pass"


def test_collector_forces_a_pass_when_never_idle_but_not_inside_a_burst(collector):
    collector.start()
    _young_collections(collector.force_after)
    collector.note_input()
    assert not collector.tick(), "a key just came: no full pass inside a burst"
    collector.clock_.now += collector.gap
    assert collector.tick(), "a busy session still gets its full pass, at the first pause"


def test_collector_forces_a_pass_after_twice_the_limit_whatever_the_input(collector):
    collector.start()
    _young_collections(2 * collector.force_after)
    collector.note_input()
    assert collector.tick()


def test_collector_freezes_what_a_full_pass_leaves(collector):
    collector.start()
    frozen = gc.get_freeze_count()
    kept = [[object()] for _ in range(1000)]  # lives on: the next passes need not look at it again
    _young_collections(3)
    collector.clock_.now += collector.idle_after
    assert collector.tick()
    assert gc.get_freeze_count() >= frozen + 1000
    assert all(not gc.is_finalized(item) for item in kept)


def test_collector_deep_pass_finds_cycles_among_frozen_objects(collector):
    import weakref

    class Node:
        pass

    collector.start()
    node = Node()
    node.me = node  # a cycle
    gone = weakref.ref(node)
    _young_collections(3)
    collector.clock_.now += collector.idle_after
    assert collector.tick()  # the cycle is frozen now (still referenced)
    del node
    for _ in range(collector.deep_every - 1):
        _young_collections(collector.min_young)
        collector.clock_.now += collector.idle_after
        assert collector.tick()
    assert gone() is not None, "a frozen cycle: the short passes do not see it"
    collector.clock_.now += collector.deep_after
    assert collector.tick() and collector.deep_passes == 1
    assert gone() is None, "the deep pass found it"


def test_collector_does_nothing_before_start(collector):
    _young_collections(5)
    collector.clock_.now += 10
    assert not collector.tick()


def test_hold_switches_the_collector_off_until_release_and_start_sees_what_it_made(collector):
    import weakref

    from animetui.ui import collector as module

    class Node:
        pass

    assert gc.isenabled() and not module.held()
    module.hold()
    try:
        assert not gc.isenabled() and module.held()
        node = Node()
        node.me = node  # a cycle made while starting
        gone = weakref.ref(node)
        del node
        frozen = gc.get_freeze_count()
        module.release()
        assert gc.isenabled() and not module.held()
        assert gc.get_freeze_count() > frozen, "what start-up made is frozen"
        assert gone() is not None
        collector.start()
        assert gone() is None, "the first full pass looks at the frozen start-up objects too"
    finally:
        module.release()


def test_hold_keeps_a_collector_someone_else_switched_off():
    from animetui.ui import collector as module

    gc.disable()
    try:
        module.hold()
        assert not module.held()
        module.release()
        assert not gc.isenabled(), "not ours to switch on"
    finally:
        gc.enable()


def test_stop_ends_a_hold(collector):
    from animetui.ui import collector as module

    module.hold()
    collector.stop()
    assert gc.isenabled() and not module.held()
