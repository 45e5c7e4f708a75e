"""The shared reader refuses what would cost more than its text: aliases, depth, size, devices."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from secretsops import yamlio
from secretsops.errors import FileNotFound, InputError
from secretsops.yamlio import LimitExceeded, ReadLimits
from tests.yamlio.hostile import CASES, HEAD, LIMIT_CASES, alias_bomb, nested

pytestmark = pytest.mark.timeout(20)


def _one_line(exc: pytest.ExceptionInfo[BaseException]) -> str:
    message = str(exc.value)
    assert "\n" not in message
    return message


@pytest.mark.parametrize("case", sorted(CASES))
def test_each_hostile_or_malformed_input_is_a_one_line_input_error_naming_the_file(case: str) -> None:
    name, text, says = CASES[case]
    with pytest.raises(InputError) as exc:
        yamlio.parse_documents(text, name)
    message = _one_line(exc)
    assert message.startswith(f"{name}: line ") and says in message


@pytest.mark.parametrize("case", LIMIT_CASES)
def test_limit_violations_are_limit_exceeded(case: str) -> None:
    name, text, _ = CASES[case]
    with pytest.raises(LimitExceeded):
        yamlio.parse_documents(text, name)


def test_an_alias_bomb_is_refused_at_the_alias_that_crosses_the_limit() -> None:
    with pytest.raises(LimitExceeded) as exc:
        yamlio.load_documents(alias_bomb(), "bomb.yaml")
    assert _one_line(exc) == (
        "bomb.yaml: line 11, column 7: aliases expand to more than 1000000 nodes (limit max_alias_nodes)"
    )


def test_aliases_within_the_limit_load_as_shared_values() -> None:
    doc = yamlio.load_one("base: &b {a: 1}\ncopy: *b\nmerged: {<<: *b, c: 2}\n")
    assert doc == {"base": {"a": 1}, "copy": {"a": 1}, "merged": {"a": 1, "c": 2}}


def test_the_alias_limit_is_configurable() -> None:
    text = "a: &a [1, 2, 3, 4]\nb: [*a, *a, *a]\n"
    assert yamlio.load_one(text)["b"] == [[1, 2, 3, 4]] * 3
    with pytest.raises(LimitExceeded, match="limit max_alias_nodes"):
        yamlio.load_one(text, "x.yaml", ReadLimits(max_alias_nodes=8))


def test_the_depth_limit_is_configurable_and_counts_through_aliases() -> None:
    assert yamlio.load_documents(nested(90), "ok.yaml")
    with pytest.raises(LimitExceeded, match="nested deeper than 10 levels"):
        yamlio.load_one("a: &a [[[[[[1]]]]]]\nb: [[[[[*a]]]]]\n", "x.yaml", ReadLimits(max_depth=10))


def test_json_nesting_and_size_follow_the_same_limits() -> None:
    deep = "[" * 50 + "]" * 50
    assert yamlio.load_json(deep, "ok.json")
    with pytest.raises(LimitExceeded, match=r"^x\.json: line 1, column 11: nested deeper than 10 levels"):
        yamlio.load_json(deep, "x.json", ReadLimits(max_depth=10))
    with pytest.raises(LimitExceeded, match="limit max_bytes"):
        yamlio.load_json(deep, "x.json", ReadLimits(max_bytes=10))


def test_timestamps_stay_strings_and_binary_stays_base64_text() -> None:
    doc = yamlio.load_one(
        "a: 2024-01-02\nb: !!timestamp 2024-01-02T03:04:05Z\nc: !!binary aGk=\nd: !!set {x}\n"
    )
    assert doc == {"a": "2024-01-02", "b": "2024-01-02T03:04:05Z", "c": "aGk=", "d": {"x": None}}


def test_several_documents_in_a_config_file_are_an_error() -> None:
    with pytest.raises(InputError, match=r"^c\.yaml: expected one YAML document, found 2$"):
        yamlio.load_one("a: 1\n---\nb: 2\n", "c.yaml")


def test_dev_zero_is_refused_without_reading_it() -> None:
    with pytest.raises(LimitExceeded) as exc:
        yamlio.read_documents(Path("/dev/zero"))
    assert _one_line(exc) == "/dev/zero: is a character device, not a regular file (refused as input)"


def test_a_fifo_is_refused_without_blocking(tmp_path: Path) -> None:
    fifo = tmp_path / "f.yaml"
    os.mkfifo(fifo)
    with pytest.raises(LimitExceeded, match=r"^f\.yaml: is a FIFO, not a regular file"):
        yamlio.read_bytes(fifo, "f.yaml")


def test_a_symlink_to_a_device_is_refused(tmp_path: Path) -> None:
    link = tmp_path / "zero.yaml"
    link.symlink_to("/dev/zero")
    with pytest.raises(LimitExceeded, match="character device"):
        yamlio.read_text(link)


def test_a_file_over_max_bytes_is_refused(tmp_path: Path) -> None:
    big = tmp_path / "big.yaml"
    big.write_text(HEAD + "data:\n  a: " + "x" * 100 + "\n")
    with pytest.raises(LimitExceeded, match=r"big\.yaml: larger than 64 bytes \(limit max_bytes\)"):
        yamlio.read_documents(big, "big.yaml", ReadLimits(max_bytes=64))


def test_stdin_over_max_bytes_is_refused() -> None:
    read, write = os.pipe()
    os.write(write, b"x" * 100)
    os.close(write)
    with os.fdopen(read, "rb") as stream, pytest.raises(LimitExceeded, match="<stdin>: larger than 64 bytes"):
        yamlio.read_stream(stream, "<stdin>", ReadLimits(max_bytes=64))


def test_a_missing_file_is_file_not_found() -> None:
    with pytest.raises(FileNotFound, match=r"^/nonexistent\.yaml: cannot read"):
        yamlio.read_bytes("/nonexistent.yaml")


def test_libyaml_is_used_when_installed() -> None:
    import yaml

    assert yamlio.C_ACCELERATED is hasattr(yaml, "CSafeLoader")
