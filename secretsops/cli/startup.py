"""Start-up costs of the command line that are not ours to remove at their source.

PyYAML compiles one regular expression when it is imported (``yaml.reader.Reader.NON_PRINTABLE``,
"every character YAML may not contain", written as the complement of what it may): CPython
builds a 64K-entry character map for it, ~9 ms — a quarter of what the whole sops binary needs
for a 3-value decrypt (BENCHMARKS.md). The same character set written positively compiles in
~0.1 ms. ``prime_pyyaml`` puts that pattern into ``re``'s cache under PyYAML's pattern text before
anything imports ``yaml``, so PyYAML's ``re.compile`` finds it there. Both match exactly the same
code points (``tests/cli/test_startup.py`` compares them on every code point, and checks that
PyYAML still compiles this text). ``re._cache`` is private: where it is missing or shaped
differently nothing is primed and PyYAML compiles its own, as without this module.

The rest of a small command's start-up is the modules it imports, so the decrypt path keeps to
three rules (each measured in BENCHMARKS.md, "3-value decrypt as users install it"; each guarded by
a test in tests/cli/test_startup.py):

* no ``typing`` at run time (~16 M instructions, a tenth of the whole decrypt): modules on the path
  write ``TYPE_CHECKING = False`` and import from ``typing`` under ``if TYPE_CHECKING:`` (mypy
  reads that name as true), and use ``collections.namedtuple`` rather than ``typing.NamedTuple``;
* no ``compile()`` of source text: the first call builds CPython's AST types (~10 M instructions);
  string annotations on a ``typing.NamedTuple`` were enough to trigger it;
* modules imported but not used by a small command are deferred (:func:`defer_imports`).
"""

from __future__ import annotations

import gc
import importlib
import re
import sys
import types
from collections.abc import Iterable

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (see secretsops/cli/startup.py)
if TYPE_CHECKING:
    from typing import Any


#: standard modules that modules on the start-up path import (``import x``) but use only inside
#: functions that a small decrypt never calls: ``dataclasses`` → ``inspect`` (+``ast``, ``dis``,
#: ``tokenize``: ~10 ms, used only for a class without a docstring) and ``urllib.parse`` (via
#: ``pathlib``) → ``ipaddress`` (used only for a bracketed host in a URL)
DEFERRABLE = ("inspect", "ipaddress")

#: PyYAML's own text (yaml/reader.py), the cache key
PYYAML_NON_PRINTABLE = "[^\x09\x0a\x0d\x20-\x7e\x85\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]"
#: the same set, listed: C0 controls but tab/LF/CR, DEL..U+0084, U+0086..U+009F, surrogates, U+FFFE/F
NON_PRINTABLE = "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x84\x86-\x9f\ud800-\udfff\ufffe\uffff]"


def pause_gc() -> None:
    """No cyclic garbage collection while the process starts (imports, parser): start-up creates
    ~100,000 long-lived objects and little garbage, and the collector would walk them all, again
    and again (~8 % of a small decrypt's instructions). Only for a process that *is* the command
    (the console script), never for a caller of ``main(argv)`` such as a test run."""
    gc.disable()


def resume_gc() -> None:
    """Collection back on for the command's own work; what start-up built lives as long as the
    process, so it is frozen (``gc.freeze``) out of every later collection's walk."""
    gc.freeze()
    gc.enable()


def prime_pyyaml() -> None:
    """Let PyYAML's import find its non-printable pattern compiled (see the module docstring)."""
    cache = getattr(re, "_cache", None)
    if isinstance(cache, dict):
        cache.setdefault((str, PYYAML_NON_PRINTABLE, 0), re.compile(NON_PRINTABLE))


class DeferredModule(types.ModuleType):
    """Stands in ``sys.modules`` for a module until something reads one of its attributes; then
    the real module is imported (replacing the stand-in there) and every later read goes to it.

    ``importlib.util.LazyLoader`` does not do here: on 3.11 the import statement itself reads
    the module's ``__spec__`` and that already loads it. A stand-in whose ``__spec__`` is None is
    returned by ``import x`` as is; ``from x import y`` reads ``y`` and so imports for real."""

    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.__spec__ = None

    def __getattr__(self, attr: str) -> Any:
        return getattr(self._load(), attr)

    def __dir__(self) -> list[str]:
        return dir(self._load())

    def _load(self) -> types.ModuleType:
        real = self.__dict__.get("_real")
        if real is None:
            if sys.modules.get(self.__name__) is self:
                del sys.modules[self.__name__]
            real = importlib.import_module(self.__name__)
            self.__dict__["_real"] = real
        return real


def defer_imports(names: Iterable[str] = DEFERRABLE) -> None:
    """Put a :class:`DeferredModule` in ``sys.modules`` for each name not imported yet. Only for
    the console-script process (``main()`` without argv): a library caller's modules are its own."""
    for name in names:
        if name not in sys.modules:
            sys.modules[name] = DeferredModule(name)
