"""render, check and decrypt meet hostile or malformed YAML/JSON with one line and a non-zero exit.

(``reconcile --dry-run``: tests/engine/test_reconcile_refuses_hostile_yaml.py.) Each input is
one a repository writer or a file handed to a command could bring: an alias bomb, nesting past
the limit, recursive aliases, malformed explicit scalars, a 5,000-digit JSON integer, a FIFO,
``/dev/zero``. No traceback, no "internal error", no hang (pytest-timeout per test).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from secretsops.cli.main import main
from tests.yamlio.hostile import CASES, LIMIT_CASES

pytestmark = pytest.mark.timeout(30)


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def _assert_one_line_error(err: str, *needles: str) -> None:
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert "Traceback" not in err and "internal error" not in err
    for needle in needles:
        assert needle in lines[0]


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.mark.parametrize("case", sorted(CASES))
def test_render_refuses_with_one_line_naming_file_and_position(
    case: str, workdir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    name, text, says = CASES[case]
    (workdir / "app").mkdir()
    (workdir / "app" / name).write_text(text)
    code, out, err = _run(capsys, "render", "app")
    assert code != 0 and out == ""
    _assert_one_line_error(err, name, "line ", says)


@pytest.mark.parametrize("case", sorted(CASES))
def test_decrypt_refuses_with_one_line(case: str, workdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    name, text, says = CASES[case]
    (workdir / name).write_text(text)
    code, out, err = _run(capsys, "decrypt", name)
    assert code != 0 and out == ""
    _assert_one_line_error(err, name, says)


@pytest.mark.parametrize("case", LIMIT_CASES)
def test_check_fails_closed_on_input_over_a_limit(
    case: str, workdir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    name, text, says = CASES[case]
    (workdir / name).write_text(text)
    code, out, err = _run(capsys, "check", name)
    assert code == 2  # the file could not be judged: the gate cannot pass
    errors = [ln for ln in out.splitlines() if ln.startswith("error: ")]
    assert len(errors) == 1 and name in errors[0] and says in errors[0] and "Traceback" not in err


@pytest.mark.parametrize("case", sorted(set(CASES) - set(LIMIT_CASES)))
def test_check_notes_a_malformed_value_with_its_line(
    case: str, workdir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    name, text, says = CASES[case]
    (workdir / name).write_text(text)
    code, out, _err = _run(capsys, "check", name)
    assert code == 0  # as any file that does not parse: a note, its text still scanned
    notes = [ln for ln in out.splitlines() if ln.startswith("note: ")]
    assert len(notes) == 1 and f"{name}: cannot parse YAML/JSON at line" in notes[0] and says in notes[0]


def test_render_refuses_a_fifo_named_like_a_manifest(
    workdir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (workdir / "app").mkdir()
    os.mkfifo(workdir / "app" / "f.yaml")
    code, _out, err = _run(capsys, "render", "app")
    assert code != 0
    _assert_one_line_error(err, "f.yaml: is a FIFO, not a regular file")


def test_render_refuses_a_fifo_in_a_kustomization(workdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (workdir / "app").mkdir()
    (workdir / "app" / "kustomization.yaml").write_text("secretGenerator:\n- name: s\n  files: [pw.txt]\n")
    os.mkfifo(workdir / "app" / "pw.txt")
    code, _out, err = _run(capsys, "render", "app")
    assert code != 0
    _assert_one_line_error(err, "pw.txt: is a FIFO, not a regular file")


def test_render_refuses_dev_zero(workdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _out, err = _run(capsys, "render", "/dev/zero")
    assert code != 0
    _assert_one_line_error(err, "zero: is a character device, not a regular file")


@pytest.mark.parametrize("path", ["/dev/zero", "fifo.yaml"])
def test_decrypt_refuses_devices_and_fifos(
    path: str, workdir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    os.mkfifo(workdir / "fifo.yaml")
    code, _out, err = _run(capsys, "decrypt", path)
    assert code == 2  # sops' CouldNotReadInputFile
    _assert_one_line_error(err, path, "not a regular file (refused as input)")


@pytest.mark.parametrize("path", ["/dev/zero", "fifo.yaml"])
def test_check_refuses_devices_and_fifos_named_on_the_command_line(
    path: str, workdir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    os.mkfifo(workdir / "fifo.yaml")
    code, _out, err = _run(capsys, "check", path)
    assert code == 2
    _assert_one_line_error(err, path, "not a regular file (refused as input)")


@pytest.mark.parametrize(
    ("value_file", "says"), [("/nonexistent", "cannot read"), ("/dev/zero", "character device")]
)
def test_set_value_file_that_cannot_be_read_is_one_line(
    value_file: str, says: str, workdir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (workdir / "s.yaml").write_text("a: 1\n")
    code, _out, err = _run(capsys, "set", "--value-file", "s.yaml", '["a"]', value_file)
    assert code == 1
    _assert_one_line_error(err, value_file, says)


def test_check_baseline_with_an_overlong_integer_is_one_line(
    workdir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (workdir / "baseline.json").write_text('{"version": ' + "1" * 5000 + "}\n")
    (workdir / "ok.yaml").write_text("a: 1\n")
    code, _out, err = _run(capsys, "check", "--baseline", "baseline.json", "ok.yaml")
    assert code == 2
    _assert_one_line_error(err, "baseline.json: not a secretsops baseline", "line 1, column 13")


def test_reconcile_config_from_dev_zero_is_refused(workdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _out, err = _run(capsys, "reconcile", "--once", "--config", "/dev/zero")
    assert code == 2
    _assert_one_line_error(err, "/dev/zero: is a character device, not a regular file")
