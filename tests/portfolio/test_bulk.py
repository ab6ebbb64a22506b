"""Pausing the cyclic garbage collector during bulk rebuilds nests and always resumes."""

from __future__ import annotations

import gc

import pytest

from desktop_app.portfolio.bulk import gc_paused


def test_pauses_nest_and_the_collector_resumes_only_after_the_last():
    assert gc.isenabled()
    with gc_paused():
        assert not gc.isenabled()
        with gc_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()  # the outer pause still holds
    assert gc.isenabled()


def test_the_collector_resumes_even_when_the_bulk_work_fails():
    with pytest.raises(RuntimeError), gc_paused():
        raise RuntimeError("replay failed")
    assert gc.isenabled()


def test_a_collector_that_was_off_stays_off():
    gc.disable()
    try:
        with gc_paused():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_freeze_after_moves_what_was_built_out_of_the_collectors_way():
    before = gc.get_freeze_count()
    try:
        with gc_paused() as outer:
            with gc_paused() as inner:
                kept = [[number] for number in range(1_000)]
                inner.freeze_after = True  # remembered until the outer pause ends
            assert gc.get_freeze_count() == before
        assert gc.get_freeze_count() >= before + len(kept)
        assert outer.freeze_after is False and gc.isenabled()
    finally:
        gc.unfreeze()
