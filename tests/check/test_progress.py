"""The progress line is drawn on a terminal and erased at the end; the CLI never draws it in CI."""

from __future__ import annotations

import io

from secretsops.check.progress import ProgressLine


def test_progress_line_draws_and_erases():
    stream = io.StringIO()
    progress = ProgressLine(stream, min_interval=0)
    progress(1, 10, "deploy/app.yaml")
    progress(-1, 10, "")
    assert stream.getvalue() == "\r\033[Kscanning [1/10] deploy/app.yaml\r\033[K"


def test_cli_draws_no_progress_when_stderr_is_not_a_terminal(repo):
    repo.write("a.txt", "x\n")
    repo.monkeypatch.chdir(repo.root)
    from secretsops.cli.main import main

    assert main(["check"]) == 0
    assert "scanning" not in repo.capsys.readouterr().err
