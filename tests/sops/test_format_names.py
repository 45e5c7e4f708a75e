"""A file's format is chosen from its name as sops does, with pathlib's reading of the name."""

from __future__ import annotations

import random
from pathlib import PurePosixPath

import pytest

from secretsops.sops.formats import format_for_path
from secretsops.sops.formats.registry import name_and_suffix


def test_name_and_suffix_agree_with_pathlib_on_random_paths() -> None:
    rnd = random.Random(20261202)
    paths = ["", "/", ".", "..", "...", "a.", ".env", "dir/", "a/.", "a//b.json", "./s.enc.yaml", ".a.b"]
    paths += ["".join(rnd.choice("a./") for _ in range(rnd.randint(0, 8))) for _ in range(20000)]
    for path in paths:
        name = PurePosixPath(path).name
        assert name_and_suffix(path) == (name, PurePosixPath(name).suffix), path


@pytest.mark.parametrize(
    ("path", "fmt"),
    [
        ("secrets/db.enc.yaml", "yaml"),
        ("a/b/c.JSON", "json"),
        ("app/.env", "dotenv"),
        ("config.ini", "ini"),
        ("dir.yaml/", "yaml"),
        ("key.pem", "binary"),
        ("yaml", "binary"),
    ],
)
def test_format_follows_the_suffix_or_the_whole_name(path: str, fmt: str) -> None:
    assert format_for_path(path) == fmt
