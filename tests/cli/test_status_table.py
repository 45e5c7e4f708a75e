"""``secretsops status`` prints whole messages: one line per source when piped, wrapped on a terminal."""

from __future__ import annotations

import fcntl
import os
import pty
import struct
import subprocess
import sys
import termios
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from secretsops.engine.status import SourceStatus, StatusStore
from secretsops.kube import KubeClient

#: 160 characters, words only (no value: a status message names files and objects)
MESSAGE = "apps/broken.yaml: " + " ".join(f"part{i:02d}" for i in range(24)) + " the-end"


@pytest.fixture
def stored(realkube_server, tmp_path: Path) -> Iterator[tuple[Path, str]]:
    """A status ConfigMap with a long Ready message, in a namespace of this test's own."""
    namespace = f"status-table-{uuid.uuid4().hex[:8]}"
    kube = KubeClient(realkube_server.api_client())
    store = StatusStore(kube, namespace)
    store.ensure_namespace()
    status = SourceStatus("apps", lastAppliedRevision="main@sha1:0123abc")
    status.failed("BuildFailed", MESSAGE, stalled=True)
    store.save(status)
    kubeconfig = realkube_server.write_kubeconfig(tmp_path / "kubeconfig", token=realkube_server.token)
    yield kubeconfig, namespace
    kube.delete("v1", "Namespace", "", namespace)


def _argv(kubeconfig: Path, namespace: str) -> list[str]:
    return [
        sys.executable,
        "-m",
        "secretsops",
        "status",
        "--kubeconfig",
        str(kubeconfig),
        "--namespace",
        namespace,
    ]


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env.pop("COLUMNS", None)  # the terminal's own size decides
    return env


def _run_on_a_terminal(argv: list[str], columns: int) -> str:
    """Run ``argv`` with stdout on a pseudo-terminal ``columns`` wide; what the terminal shows."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, columns, 0, 0))
    proc = subprocess.Popen(argv, stdout=slave, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, env=_env())
    os.close(slave)
    chunks = []
    while True:
        try:
            chunk = os.read(master, 4096)
        except OSError:  # EIO: the child closed the terminal
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(master)
    assert proc.wait(timeout=60) == 0, proc.stderr.read() if proc.stderr else ""
    return b"".join(chunks).decode().replace("\r\n", "\n")


def test_piped_status_prints_each_message_whole_on_one_line(stored: tuple[Path, str]) -> None:
    out = subprocess.run(_argv(*stored), capture_output=True, text=True, check=True, timeout=60, env=_env())
    header, row = out.stdout.splitlines()
    assert header.split()[-1] == "MESSAGE"
    assert row.split()[:4] == ["apps", "False", "BuildFailed", "main@sha1:0123abc"]
    assert row.endswith(MESSAGE)


def test_status_on_a_terminal_wraps_the_message_to_the_terminal_width(stored: tuple[Path, str]) -> None:
    lines = _run_on_a_terminal(_argv(*stored), columns=100).splitlines()
    assert len(lines) > 2 and all(len(line) <= 100 for line in lines)
    column = lines[0].index("MESSAGE")
    assert all(line[:column].strip() == "" for line in lines[2:])  # continuation under the column
    assert " ".join(line[column:].strip() for line in lines[1:]) == MESSAGE
