"""The real-Kubernetes harness starts again when etcd or kube-apiserver lost its port."""

from __future__ import annotations

import pytest

from tests.realkube import START_ATTEMPTS, ControlPlane, ControlPlaneError, ProcessExited


def test_a_control_plane_whose_process_exited_while_starting_is_started_again(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    starts: list[bool] = []

    def start(self: ControlPlane, timeout: float = 0) -> ControlPlane:
        starts.append(self.root.is_dir())
        if len(starts) == 1:
            raise ProcessExited("etcd exited with 1: bind: address already in use")
        return self

    monkeypatch.setattr(ControlPlane, "start", start)
    with ControlPlane() as cp:
        assert starts == [True, True]  # a fresh, empty root for the second start
        assert not any(cp.root.iterdir())
    assert not cp.root.exists()


def attempts_when_start_raises(monkeypatch: pytest.MonkeyPatch, error: Exception) -> int:
    """How many times entering a ControlPlane starts it when every start raises ``error``."""
    starts: list[int] = []

    def start(self: ControlPlane, timeout: float = 0) -> ControlPlane:
        starts.append(1)
        raise error

    monkeypatch.setattr(ControlPlane, "start", start)
    with pytest.raises(type(error)), ControlPlane():
        pass
    return len(starts)


def test_a_control_plane_that_keeps_exiting_fails_after_the_last_attempt(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    error = ProcessExited("kube-apiserver exited with 1")
    assert attempts_when_start_raises(monkeypatch, error) == START_ATTEMPTS


def test_a_control_plane_that_is_not_ready_in_time_is_not_retried(monkeypatch: pytest.MonkeyPatch) -> None:
    error = ControlPlaneError("kube-apiserver not ready after 180 s")
    assert attempts_when_start_raises(monkeypatch, error) == 1
