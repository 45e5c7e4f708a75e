"""The start-up shortcut for PyYAML's import (``cli/startup.py``) changes nothing PyYAML does."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from secretsops.cli.startup import NON_PRINTABLE, PYYAML_NON_PRINTABLE


def test_the_listed_set_matches_exactly_the_code_points_pyyaml_refuses() -> None:
    everything = "".join(map(chr, range(sys.maxunicode + 1)))
    ours = re.compile(NON_PRINTABLE).findall(everything)
    pyyaml = re.compile(PYYAML_NON_PRINTABLE).findall(everything)
    assert ours == pyyaml and len(ours) == 2048 + 2 + 9 + 2 + 18 + 6 + 26


def test_pyyaml_still_compiles_the_pattern_text_that_is_primed() -> None:
    import yaml.reader

    assert yaml.reader.Reader.NON_PRINTABLE.pattern in (PYYAML_NON_PRINTABLE, NON_PRINTABLE)


def test_after_priming_pyyaml_imports_with_the_listed_pattern() -> None:
    code = (
        "from secretsops.cli.startup import prime_pyyaml, NON_PRINTABLE\n"
        "prime_pyyaml()\n"
        "import yaml\n"
        "assert yaml.reader.Reader.NON_PRINTABLE.pattern == NON_PRINTABLE\n"
        "assert yaml.safe_load('a: [1, x]') == {'a': [1, 'x']}\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)


def test_pyyaml_refuses_a_non_printable_character_after_priming() -> None:
    code = (
        "from secretsops.cli.startup import prime_pyyaml\n"
        "prime_pyyaml()\n"
        "import yaml\n"
        "try:\n"
        "    yaml.load('a: b\\x07', Loader=yaml.SafeLoader)\n"
        "except yaml.reader.ReaderError as exc:\n"
        "    print(exc.character == 7)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60)
    assert out.stdout == "True\n"


def test_a_caller_of_main_keeps_its_garbage_collector_as_it_was() -> None:
    import gc

    from secretsops.cli.main import main

    frozen = gc.get_freeze_count()
    assert main(["version"]) == 0
    assert gc.isenabled() and gc.get_freeze_count() == frozen


def _run_python(code: str, cwd: object = None, env: dict[str, str] | None = None) -> str:
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60, cwd=cwd, env=env
    )
    return out.stdout


def test_a_deferred_module_is_imported_when_first_read_and_then_is_the_real_one() -> None:
    code = (
        "import sys\n"
        "from secretsops.cli.startup import defer_imports\n"
        "defer_imports(['colorsys'])\n"
        "import colorsys\n"
        "print(type(sys.modules['colorsys']).__name__)\n"
        "print(colorsys.rgb_to_hsv(1.0, 0.0, 0.0))\n"
        "print(type(sys.modules['colorsys']).__name__, sys.modules['colorsys'].__spec__ is not None)\n"
    )
    assert _run_python(code) == "DeferredModule\n(0.0, 1.0, 1.0)\nmodule True\n"


def test_dataclasses_without_a_docstring_still_get_their_signature_doc_after_deferring() -> None:
    code = (
        "from secretsops.cli.startup import defer_imports\n"
        "defer_imports()\n"
        "from dataclasses import dataclass\n"
        "@dataclass\n"
        "class P:\n"
        "    x: int\n"
        "print(P.__doc__)\n"
    )
    assert _run_python(code) == "P(x: int)\n"


@pytest.fixture
def sops_style_file(tmp_path: Path) -> dict[str, str]:
    """``s.enc.yaml`` as sops users write it (age, ``^(data|stringData)$``) and the env to open it."""
    import pyrage

    ident = pyrage.x25519.Identity.generate()
    (tmp_path / "key.txt").write_text(f"{ident}\n")
    (tmp_path / "s.yaml").write_text("kind: Secret\nstringData:\n  password: canary-startup-1\n")
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "SOPS_AGE_KEY_FILE": str(tmp_path / "key.txt")}
    enc = subprocess.run(
        [sys.executable, "-m", "secretsops", "encrypt", "--age", str(ident.to_public()),
         "--encrypted-regex", "^(data|stringData)$", "s.yaml"],
        env=env, cwd=tmp_path, capture_output=True, check=True, timeout=60,
    )  # fmt: skip
    (tmp_path / "s.enc.yaml").write_bytes(enc.stdout)
    return env


def _decrypt_in_console_process(tmp_path: Path, env: dict[str, str], before: str, after: str) -> list[str]:
    probe = (
        f"import sys, runpy\n{before}\nsys.argv = ['secretsops', 'decrypt', 's.enc.yaml']\n"
        "try:\n    runpy.run_module('secretsops', run_name='__main__')\n"
        f"except SystemExit:\n    pass\n{after}\n"
    )
    return _run_python(probe, cwd=tmp_path, env=env).splitlines()


DECRYPTED = ["kind: Secret", "stringData:", "    password: canary-startup-1"]


def test_a_sops_style_decrypt_loads_neither_inspect_nor_re2(
    tmp_path: Path, sops_style_file: dict[str, str]
) -> None:
    """The console-script process defers ``inspect``, answers ``^(data|stringData)$`` with ``re`` and
    never imports ``typing`` (~16 M instructions): modules on the way import it only for type checkers."""
    after = (
        "inspect = sys.modules.get('inspect')\n"
        "print('re2' in sys.modules, 'ast' in sys.modules, 'typing' in sys.modules,\n"
        "      type(inspect).__name__, '_real' in vars(inspect))"
    )
    out = _decrypt_in_console_process(tmp_path, sops_style_file, "", after)
    assert out == [*DECRYPTED, "False False False DeferredModule False"]


def test_a_sops_style_decrypt_compiles_no_source(tmp_path: Path, sops_style_file: dict[str, str]) -> None:
    """A process's first ``compile()`` builds CPython's AST types (~10 M instructions): string
    annotations on a ``typing.NamedTuple`` are enough to trigger it."""
    before = (
        "import builtins\ncalls = []\n_compile = builtins.compile\n"
        "builtins.compile = lambda *a, **k: calls.append(a[1:2]) or _compile(*a, **k)"
    )
    out = _decrypt_in_console_process(tmp_path, sops_style_file, before, "print(calls)")
    assert out == [*DECRYPTED, "[]"]


def test_sops_values_use_cryptographys_public_aes_gcm_class() -> None:
    """``sops.cipher`` imports AES-GCM from the Rust binding (skipping ~4 ms of other ciphers);
    it must be the very class cryptography publishes."""
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    from secretsops.sops import cipher

    assert cipher.AESGCM is AESGCM


def test_no_dataclass_declares_a_classvar() -> None:
    """A decrypt runs without ``typing`` imported, and then ``dataclasses`` cannot tell a string
    ``ClassVar[...]`` annotation (``from __future__ import annotations``) from a field."""
    import ast

    root = Path(__file__).resolve().parents[2] / "secretsops"
    found = []
    for path in root.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if not isinstance(node, ast.ClassDef):
                continue
            if not any("dataclass" in ast.unparse(d) for d in node.decorator_list):
                continue
            found += [
                f"{path.name}:{node.name}.{ast.unparse(st.target)}"
                for st in node.body
                if isinstance(st, ast.AnnAssign) and "ClassVar" in ast.unparse(st.annotation)
            ]
    assert found == []
