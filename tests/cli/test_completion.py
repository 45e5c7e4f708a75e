"""Shell completion: the code ``secretsops completion SHELL`` prints, loaded into a real shell."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

#: completes COMP_LINE the way bash does on Tab: the words, the cursor, then the registered function
_BASH_DRIVER = r"""
source <(secretsops completion bash)
COMP_LINE="$1"; COMP_POINT=${#COMP_LINE}; COMP_TYPE=9
read -ra COMP_WORDS <<<"$COMP_LINE"
[[ "$COMP_LINE" == *" " ]] && COMP_WORDS+=("")
COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
function=$(complete -p secretsops | sed -n 's/.*-F \([^ ]*\) .*/\1/p')
"$function" secretsops "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}"
printf '%s\n' "${COMPREPLY[@]}"
"""


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env['PATH']}"
    return env


def _bash_complete(line: str) -> list[str]:
    out = subprocess.run(
        ["bash", "--norc", "--noprofile", "-c", _BASH_DRIVER, "bash", line],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
        env=_env(),
    )
    return [word.strip() for word in out.stdout.splitlines() if word.strip()]


def test_bash_completes_the_commands() -> None:
    words = _bash_complete("secretsops ")
    assert {"encrypt", "decrypt", "seal", "status", "check", "completion"} <= set(words)
    assert not any(word.startswith("-") for word in words)


def test_bash_completes_a_command_prefix() -> None:
    assert _bash_complete("secretsops dec") == ["decrypt"]


def test_bash_completes_a_commands_flags() -> None:
    words = _bash_complete("secretsops decrypt --")
    assert {"--extract", "--output-type", "--in-place", "--ignore-mac"} <= set(words)
    assert "--age" not in words  # an encrypt flag


def test_bash_completes_flags_that_come_from_key_source_plugins() -> None:
    assert {"--age", "--kms", "--pgp"} <= set(_bash_complete("secretsops encrypt --"))


def test_bash_completes_a_flags_choices() -> None:
    assert set(_bash_complete("secretsops decrypt --output-type ")) >= {"yaml", "json", "dotenv"}


def test_bash_completes_the_completion_shells() -> None:
    assert _bash_complete("secretsops completion ") == ["bash", "zsh", "fish"]


@pytest.mark.parametrize("shell", ["zsh", "fish"])
def test_other_shells_accept_their_completion_code(shell: str, tmp_path: Path) -> None:
    if shutil.which(shell) is None:
        pytest.skip(f"{shell} is not installed on this machine")
    script = tmp_path / f"secretsops.{shell}"
    script.write_text(
        subprocess.run(
            [sys.executable, "-m", "secretsops", "completion", shell],
            capture_output=True,
            text=True,
            check=True,
            timeout=60,
        ).stdout
    )
    subprocess.run([shell, "-n", str(script)], check=True, timeout=60)


@pytest.mark.parametrize("shell", ["zsh", "fish"])
def test_completion_code_for_other_shells_registers_secretsops(shell: str) -> None:
    out = subprocess.run(
        [sys.executable, "-m", "secretsops", "completion", shell],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    ).stdout
    registration = {"zsh": "compdef _python_argcomplete secretsops", "fish": "complete --command secretsops"}
    assert registration[shell] in out
