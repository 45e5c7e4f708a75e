"""Go's ``regexp`` (RE2 syntax) through google-re2, with RE2's own logging switched off.

RE2 reports a pattern it cannot compile (and DFA memory trouble) through absl straight to file
descriptor 2, past Python's ``sys.stderr`` and past any redaction of ours; the report quotes the
pattern. A pattern can be built from a secret (sprig's ``regexMatch`` over ``.password``), so
every RE2 regexp in secretsops is compiled here with ``log_errors=False`` and the error is
reported once, by the caller, in words it chooses. An import-linter contract keeps ``re2`` out
of every other module.

``re2`` is imported on first use: a decrypt whose only pattern is sops' usual
``^(data|stringData)$`` is answered by :func:`matcher` with Python's ``re`` (loading the RE2
extension costs ~4 ms, against ~50 ms for the sops binary's whole decrypt).
"""

from __future__ import annotations

import re

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (see secretsops/cli/startup.py)
if TYPE_CHECKING:
    from typing import Any


#: patterns on which Python's ``re`` and RE2 agree about *whether* a string has a match, in time
#: linear in the text like RE2's: literal letters, digits and ``_-:/,=@% ``, the escapes ``\.``
#: ``\-`` ``\/``, ``.``, ``^``, ``$``, ``|`` and plain groups. No quantifier at all: ``re``
#: backtracks, so a pattern from a hostile ``.sops.yaml`` or file metadata such as ``(a*)*$`` or
#: ``.*.*.*x`` would take exponential or polynomial time over a long key where RE2 stays linear.
#: Also left out: classes (``\d``/``\w``/``\s`` are Unicode-aware in ``re``, ASCII in RE2),
#: ``{n,m}`` and ``(?…)`` flags and names.
_PORTABLE = re.compile(r"(?:[A-Za-z0-9_\-:/,=@% .^$|)]|\\[.\-/]|\((?!\?))*")


def quiet_options() -> Any:
    """Default RE2 options with logging off (a fresh object: ``re2.Options`` is mutable)."""
    import re2

    options = re2.Options()
    options.log_errors = False
    return options


def compile(pattern: str) -> Any:  # noqa: A001 - Go's name for it
    """``regexp.Compile``: a compiled RE2 regexp (google-re2 caches compiled patterns)."""
    import re2

    return re2.compile(pattern, options=quiet_options())


def matcher(pattern: str) -> Any:
    """A compiled regexp for ``.search`` only (sops' crypt rules, creation rules' ``path_regex``):
    Python's ``re`` where the pattern is in the portable subset (Go's ``$`` is the end of the text,
    ``\\Z`` in ``re``), RE2 otherwise. Whatever ``re`` refuses goes to RE2, which decides."""
    if _PORTABLE.fullmatch(pattern):
        try:
            return re.compile(pattern.replace("$", r"\Z"))
        except re.error:
            pass
    return compile(pattern)


def __getattr__(name: str) -> Any:
    """``error``: what :func:`compile` raises for a bad pattern (its text quotes the pattern:
    callers decide); read from ``re2`` when first asked for, as the module itself is."""
    if name == "error":
        import re2

        return re2.error
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def reason(exc: BaseException) -> str:
    """RE2's complaint as text (google-re2 gives bytes); it quotes the pattern, so only for
    patterns that are public (written in a manifest), never for ones built from data."""
    raw = exc.args[0] if exc.args else ""
    return raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw)


def search(pattern: str, text: str) -> Any:
    """The first match of ``pattern`` in ``text``, or None."""
    return compile(pattern).search(text)
