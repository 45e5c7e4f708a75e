"""Only ``secretsops/git.py`` starts git.

An import-linter contract cannot see a command line, so this reads the package's source:
any list or tuple that starts with ``"git"`` (an argv) and any call whose first argument is
``"git"`` or a ``"git ..."`` shell string is a git invocation, allowed in the git module only.
"""

from __future__ import annotations

import ast
from pathlib import Path

import secretsops

PACKAGE = Path(secretsops.__file__).parent
GIT_MODULE = PACKAGE / "git.py"


#: functions that run a shell command line given as one string
SHELL_CALLS = {"system", "popen", "run", "call", "check_call", "check_output", "Popen", "getoutput"}


def _text(node: ast.AST) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def _name(func: ast.AST) -> str:
    return func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""


def git_invocations(source: str) -> list[int]:
    """Lines of ``source`` that build a git argv or pass ``git`` to a process call."""
    lines = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, (ast.List, ast.Tuple)) and node.elts and _text(node.elts[0]) == "git":
            lines.append(node.lineno)
        elif isinstance(node, ast.Call) and node.args:
            first = _text(node.args[0]) or ""
            if first == "git" or (first.startswith("git ") and _name(node.func) in SHELL_CALLS):
                lines.append(node.lineno)
    return sorted(set(lines))


def test_the_detector_finds_git_argv_and_shell_strings() -> None:
    source = (
        'subprocess.run(["git", "fetch"])\nos.system("git gc")\nrunner.run(("git", *args))\n'
        'execlp("git", "git", "log")\nraise CheckError("git is not installed")\n'
    )
    assert git_invocations(source) == [1, 2, 3, 4]


def test_no_module_but_secretsops_git_runs_git() -> None:
    offenders = [
        f"{path.relative_to(PACKAGE.parent)}:{line}"
        for path in sorted(PACKAGE.rglob("*.py"))
        if path != GIT_MODULE
        for line in git_invocations(path.read_text(encoding="utf-8"))
    ]
    assert offenders == []
