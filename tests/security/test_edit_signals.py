"""Issue 11 row 10: ``edit``'s plaintext file never outlives the edit, however it ends.

A scripted EDITOR tells the test where the file is and then waits, like a person editing; the
test stops secretsops the ways a terminal, CI or an OOM killer would.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from pyrage import x25519

from secretsops.cli.edit_tempfile import PREFIX, temp_directory

#: records its file and its own pid, then waits like a person at the keyboard
WAITING_EDITOR = (
    '#!/bin/sh\necho $$ > "$MARKER.pid"\necho "$1" > "$MARKER.tmp" && mv "$MARKER.tmp" "$MARKER"\n'
    "exec sleep 60\n"
)


def _ctrl_c_as_in_a_terminal() -> None:
    """SIGINT back to its default for the child: a suite started in the background by a
    non-interactive shell inherits SIGINT ignored, and Python then never raises KeyboardInterrupt."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


@dataclass
class EditSetup:
    cwd: Path
    env: dict[str, str]
    encrypted: bytes
    marker: Path

    def start(self) -> subprocess.Popen[bytes]:
        return subprocess.Popen(
            [sys.executable, "-m", "secretsops", "edit", "s.yaml"],
            cwd=self.cwd,
            env=self.env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            preexec_fn=_ctrl_c_as_in_a_terminal,  # noqa: PLW1509 - only resets one signal
        )


    def file_being_edited(self, proc: subprocess.Popen[bytes]) -> Path:
        deadline = time.monotonic() + 60
        while not self.marker.exists():
            assert proc.poll() is None, proc.communicate()
            assert time.monotonic() < deadline, "the editor was not started"
            time.sleep(0.05)
        return Path(self.marker.read_text().strip())


@pytest.fixture
def setup(tmp_path: Path, canary: str) -> Iterator[EditSetup]:
    ident = x25519.Identity.generate()
    key_file = tmp_path / "age-key.txt"
    key_file.write_text(f"{ident}\n")
    editor = tmp_path / "editor.sh"
    editor.write_text(WAITING_EDITOR)
    editor.chmod(0o755)
    work = tmp_path / "work"
    work.mkdir()
    (work / "s.yaml").write_text(f"password: {canary}\n")
    env = {
        "PATH": os.environ["PATH"],
        "HOME": os.environ["HOME"],
        "SOPS_AGE_KEY_FILE": str(key_file),
        "EDITOR": str(editor),
        "MARKER": str(tmp_path / "marker"),
    }
    subprocess.run(
        [sys.executable, "-m", "secretsops", "encrypt", "--age", str(ident.to_public()), "-i", "s.yaml"],
        cwd=work,
        env=env,
        check=True,
        capture_output=True,
    )
    s = EditSetup(work, env, (work / "s.yaml").read_bytes(), tmp_path / "marker")
    yield s
    pid_file = tmp_path / "marker.pid"
    if pid_file.exists():  # never leave the scripted editor behind
        try:
            os.kill(int(pid_file.read_text()), signal.SIGKILL)
        except (ProcessLookupError, ValueError):
            pass


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGHUP, signal.SIGINT])
def test_a_stopped_edit_removes_the_plaintext_and_changes_nothing(
    setup: EditSetup, canary: str, sig: signal.Signals
) -> None:
    proc = setup.start()
    plain = setup.file_being_edited(proc)
    assert canary in plain.read_text() and (plain.stat().st_mode & 0o777) == 0o600

    proc.send_signal(sig)
    _, err = proc.communicate(timeout=30)

    assert proc.returncode == 128 + sig
    assert not plain.exists()
    assert (setup.cwd / "s.yaml").read_bytes() == setup.encrypted
    assert b"Traceback" not in err and canary.encode() not in err


def test_the_file_is_named_for_the_edit_process(setup: EditSetup) -> None:
    proc = setup.start()
    plain = setup.file_being_edited(proc)
    try:
        assert plain.parent == temp_directory()
        assert plain.name.startswith(f"{PREFIX}{proc.pid}-")
    finally:
        proc.terminate()
        proc.communicate(timeout=30)


def test_the_next_edit_removes_what_a_killed_edit_left(setup: EditSetup, tmp_path: Path) -> None:
    proc = setup.start()
    left = setup.file_being_edited(proc)
    proc.kill()  # SIGKILL: nothing runs, the file stays…
    os.kill(int((tmp_path / "marker.pid").read_text()), signal.SIGKILL)  # (it holds our pipes)
    proc.communicate(timeout=30)
    assert left.exists()
    live = temp_directory() / f"{PREFIX}{os.getpid()}-someone-editing.yaml"  # a live edit's file
    live.write_text("kept")
    setup.marker.unlink()
    try:
        again = setup.start()
        setup.file_being_edited(again)  # by the time the editor opens, the sweep has run
        again.terminate()
        again.communicate(timeout=30)

        assert not left.exists()  # …until the next edit
        assert live.exists()  # a running edit's file is never touched
    finally:
        live.unlink(missing_ok=True)
