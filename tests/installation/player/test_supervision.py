"""player/supervision.py: when a failing generator counts as failed, when it is restarted, when it is
given up and for which model, by table with the times handed in."""

import pytest

from installation.player.supervision import (BLANK_S, FAILURE_WINDOW_S, WORKING_AFTER_S, Supervisor, failure)


@pytest.mark.parametrize("error, on_wall, flat_since, now, why", [
    (None, True, None, 10.0, None),
    ("RuntimeError: bad_alloc", False, None, 10.0, "RuntimeError: bad_alloc"),
    (None, True, 10.0 - BLANK_S, 10.0, None),                          # flat for exactly BLANK_S: not yet
    (None, True, 8.5, 10.0, "its pictures are one flat colour (NaN or a broken model)"),
    (None, False, 8.5, 10.0, None),                                    # a pending scene is not on the wall
])
def test_what_counts_as_a_failure(error, on_wall, flat_since, now, why):
    assert failure(error, on_wall, flat_since, now) == why


# (time of the failure, status line, model that takes over or None, restart in s)
FAILING_THRICE = [
    (100.0, "model 'flaky' failed (boom); restarting in 1 s (failure 1)", None, 1.0),
    (101.5, "model 'flaky' failed (boom); restarting in 2 s (failure 2)", None, 2.0),
    (104.0, "model 'flaky' failed 3 times (boom); playing 'default' instead", "default", 0.0),
]


def test_a_model_failing_three_times_in_the_window_is_given_up_for_the_default():
    s = Supervisor()
    for now, status, instead, restart_in_s in FAILING_THRICE:
        response = s.handle("flaky", "boom", now, ["default", "other"], "default", latest="flaky")
        assert (response.status, response.instead, response.restart_in_s) == (status, instead, restart_in_s)
        assert s.status == status and s.restart_at == now + restart_in_s
    assert s.broken == {"flaky": "boom"}


def test_failures_further_apart_than_the_window_never_add_up():
    s = Supervisor()
    for k in range(5):
        response = s.handle("flaky", "boom", k * (FAILURE_WINDOW_S + 1), ["default"], "default", "flaky")
        assert response.instead is None and "(failure 1)" in response.status


@pytest.mark.parametrize("worked, available, latest, instead, restart_in_s", [
    (["good"], ["default", "good"], "flaky", "good", 0.0),           # the newest that worked comes first
    ([], ["default", "good"], "flaky", "default", 0.0),              # then the shipped default
    ([], ["good"], "flaky", "good", 0.0),                            # then anything not given up
    ([], [], "flaky", None, 4.0),                                    # nothing else: retry after the back-off
    ([], [], "other", None, 0.0),                                    # 'latest' is another: at once
])
def test_the_fallback(worked, available, latest, instead, restart_in_s):
    s = Supervisor(worked=list(worked))
    for now in (0.0, 1.0):
        s.handle("flaky", "boom", now, available, "default", latest)
    response = s.handle("flaky", "boom", 2.0, available, "default", latest)
    assert (response.instead, response.restart_in_s) == (instead, restart_in_s)


def test_a_restart_waits_out_its_back_off_then_the_model_earns_its_place_again():
    s = Supervisor()
    s.handle("m", "boom", 10.0, [], "default", "m")
    assert not s.may_start(10.5) and s.may_start(11.0) and s.restart_at is None
    s.started("m", 11.0)
    s.running("m", 11.0 + WORKING_AFTER_S - 0.1)
    assert s.worked == [] and s.failures
    s.running("m", 11.0 + WORKING_AFTER_S)
    assert s.worked == ["m"] and "m" not in s.failures
    s.shown("m")
    assert s.status == "ok"


def test_a_new_file_under_a_given_up_name_gets_a_fresh_start():
    s = Supervisor()
    for now in (0.0, 1.0, 2.0):
        s.handle("m", "boom", now, [], "default", "m")
    s.shown("other")
    assert s.status != "ok"                       # a given-up model stays in the status...
    s.forgive("m")
    s.shown("m")
    assert s.broken == {} and s.status == "ok"    # ...until its file is replaced
