"""``reconcile --once --dry-run`` meets hostile or malformed YAML: the pass fails with one line.

A repository writer controls every file the engine renders. An alias bomb, nesting past the
limit, recursive aliases, malformed explicit scalars, a 5,000-digit JSON integer: each fails
the pass naming the file and position (``BuildFailed``), never an internal error, never a hang.
A FIFO in a plain-directory source is refused the same way.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from secretsops.cli.main import main
from tests.yamlio.hostile import CASES

pytestmark = pytest.mark.timeout(60)


@pytest.fixture(autouse=True)
def _restore_logging() -> Iterator[None]:
    logger = logging.getLogger("secretsops")
    saved = (list(logger.handlers), logger.level)
    yield
    logger.handlers, _ = saved[0], logger.setLevel(saved[1])


def _dry_run(harness, repo: str, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:  # type: ignore[no-untyped-def]
    argv = ["reconcile", "--once", "--dry-run", "--repo", repo, "--path", "apps", "--name", "apps"]
    argv += ["--kubeconfig", str(harness.api.kubeconfig), "--decryption-secret", "secretsops-system/sops-age"]
    code = main(argv)
    return code, capsys.readouterr().err


def _failure_lines(err: str) -> list[str]:
    assert "Traceback" not in err and "internal error" not in err.lower()
    return [ln for ln in err.splitlines() if "apps: BuildFailed: " in ln]


@pytest.mark.parametrize("case", sorted(CASES))
def test_a_hostile_manifest_fails_the_dry_run_pass_with_one_line(
    case: str, harness, capsys: pytest.CaptureFixture[str]
) -> None:  # type: ignore[no-untyped-def]
    name, text, says = CASES[case]
    harness.repo.write(f"apps/{name}", text)
    harness.repo.commit()
    code, err = _dry_run(harness, harness.repo.url, capsys)
    assert code == 1
    lines = _failure_lines(err)
    assert len(lines) == 1 and name in lines[0] and "line " in lines[0] and says in lines[0]


def test_a_fifo_in_a_directory_source_fails_the_pass_without_blocking(
    harness, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "src" / "apps").mkdir(parents=True)
    os.mkfifo(tmp_path / "src" / "apps" / "f.yaml")
    code, err = _dry_run(harness, str(tmp_path / "src"), capsys)
    assert code == 1
    lines = _failure_lines(err)
    assert len(lines) == 1 and "f.yaml: is a FIFO, not a regular file" in lines[0]
