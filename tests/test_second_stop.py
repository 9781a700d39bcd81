"""One stop (review of issue 29): after a SIGINT or SIGTERM, a second one while rca cleans up (its
workers ended, a watch's state saved) must not cut the cleanup short. The command's own stop handler
stood in for main's and, on its way out, gave main's back armed: the second Ctrl-C that users press
when a stop takes a moment then broke the cleanup and changed the exit status and the line."""

from __future__ import annotations

import os
import signal
import time

import pytest
import typer

from rca import cli


def signal_self(stop: signal.Signals) -> None:
    os.kill(os.getpid(), stop)
    time.sleep(0.2)  # the handler runs in the main thread at the next instruction: here at the latest


@pytest.fixture
def handlers():
    """The handlers before the test, which the stops must give back once the command ends."""
    before = {stop: signal.getsignal(stop) for stop in (signal.SIGINT, signal.SIGTERM)}
    yield before
    for stop, handler in before.items():
        signal.signal(stop, handler)


def test_a_second_stop_while_an_analysis_ends_its_workers_is_ignored(monkeypatch, capfd, handlers):
    ended, pressed = [], []

    def end_workers(grace_seconds: float = 5.0) -> None:
        if not pressed:  # Ctrl-C pressed again while the workers are being ended, once
            pressed.append(True)
            signal_self(signal.SIGINT)
        ended.append(grace_seconds)

    monkeypatch.setattr(cli, "_end_worker_processes", end_workers)
    with pytest.raises(typer.Exit) as stopped:  # not main's SystemExit 130 for the second signal
        with cli._stopping_anywhere(), cli._stopping_cleanly(end_workers_first=False):
            signal_self(signal.SIGTERM)
    assert stopped.value.exit_code == 143
    assert ended == [5.0]  # once, to its end
    assert capfd.readouterr().err == "rca: analysis stopped by SIGTERM; no report written\n"
    assert {stop: signal.getsignal(stop) for stop in handlers} == handlers


class StoppedRunner:
    def run(self, interval: float, once: bool) -> None:
        signal_self(signal.SIGTERM)
        raise AssertionError("the stop did not end the watch")


def test_a_second_stop_while_a_watch_saves_its_state_is_ignored(handlers):
    saved = []
    with cli._stopping_anywhere():
        stopped = cli._run_watch(StoppedRunner(), 1.0, False)
        signal_self(signal.SIGINT)  # Ctrl-C while the state is written (runner.announcer.state.save())
        saved.append(stopped)
    assert saved == ["SIGTERM"]
    assert {stop: signal.getsignal(stop) for stop in handlers} == handlers
