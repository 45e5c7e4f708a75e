"""``secretsops-demo`` (the devstack distribution) tells the whole story, shows no value, leaves nothing."""

from __future__ import annotations

import argparse
import base64
import io
from pathlib import Path

import pytest

from secretsops.cli.main import build_parser, main
from secretsops_devstack import demo
from secretsops_devstack.cli import main as demo_main
from tests.helpers import assert_no_canary, new_canary


def test_demo_runs_the_story_end_to_end_without_values_or_leftovers(monkeypatch: pytest.MonkeyPatch) -> None:
    planted: list[str] = []
    made: list[Path] = []
    real_private_dir = demo.private_dir

    def canary_value() -> str:
        planted.append(new_canary())
        return planted[-1]

    def recorded_dir() -> Path:
        made.append(real_private_dir())
        return made[-1]

    monkeypatch.setattr(demo, "new_value", canary_value)
    monkeypatch.setattr(demo, "private_dir", recorded_dir)
    out = io.StringIO()
    assert demo.run_demo(demo.DemoOptions(), out) == 0
    text = out.getvalue()
    for step in ("1. Sync", "2. Drift", "3. A change lands", "4. Roll back", "5. Refresh on demand"):
        assert step in text
    assert "drift detected: Secret/demo/app-config: changed data.SESSION_SECRET" in text
    assert "every step behaved as told" in text
    assert len(planted) >= 8
    for value in planted:
        assert_no_canary(value, text)
        assert_no_canary(base64.b64encode(value.encode()).decode(), text)
    assert made and not made[0].exists()


def test_demo_refuses_a_directory_that_is_not_the_examples(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert demo_main(["--examples", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "not the secretsops examples directory" in err


def test_the_product_cli_has_no_demo_command() -> None:
    (commands,) = [a.choices for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction)]
    assert "demo" not in commands and "refresh" in commands


def test_examples_hold_only_ciphertext_and_references(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", str(demo.default_examples())]) == 0


def test_keep_running_stops_cleanly_on_sigterm_and_removes_everything(tmp_path: Path) -> None:
    import os
    import signal
    import socket
    import subprocess
    import sys

    proc = subprocess.Popen(
        [sys.executable, "-m", "secretsops_devstack", "--keep-running"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    assert proc.stdout is not None
    lines: list[str] = []
    try:
        for line in proc.stdout:
            lines.append(line)
            if "log --oneline" in line:
                break
        (export,) = [x for x in lines if "export KUBECONFIG=" in x]
        work = Path(export.split("=", 1)[1].strip()).parent
        ports = [int(u.rsplit(":", 1)[1].split()[0].rstrip(",")) for u in lines[1].split("http://")[1:]]
        assert work.is_dir()
        proc.send_signal(signal.SIGTERM)
        rest, _ = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, rest
    assert not work.exists()
    for port in ports:  # OpenBao, moto and the API server are gone
        with socket.socket() as s:
            assert s.connect_ex(("127.0.0.1", port)) != 0
