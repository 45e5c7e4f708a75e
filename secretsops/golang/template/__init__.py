"""Go's text/template with the sprig function library, reproduced faithfully in pure Python.

ESO renders ``spec.target.template`` and sealed-secrets renders ``spec.template.data`` with
Go's text/template plus sprig (``GenericFuncMap`` minus ``env``/``expandenv``); both use this
one engine. :data:`SPRIG` is that function set; a caller with functions of its own (ESO's
pkcs12, PEM, JWK, YAML in :mod:`secretsops.external.template_funcs`) builds an
:class:`Engine` with them once::

    tpl = SPRIG.compile("{{ .user }}:{{ .password | b64enc }}", name="creds")
    tpl.execute(string_map({"user": b"admin", "password": b"s3cret"}))

Errors are :class:`secretsops.errors.TemplateError` with Go's wording and position, and never
contain the data's values.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from secretsops.errors import TemplateError

# These modules add their functions to SPRIG_FUNCS when imported.
from . import (  # noqa: F401
    funcs_sprig_certs,
    funcs_sprig_collections,
    funcs_sprig_extra,
    funcs_sprig_regex,
    funcs_time,
)
from .exec import ExecError, execute
from .funcs import FuncMap, GoFunc, gobytes, gostr, wrap_python
from .funcs_go import BUILTINS
from .funcs_sprig import SPRIG_FUNCS
from .parser import ParseError, Tree, parse
from .redact import redact
from .values import MISSING, Int64, StringList, StringMap

__all__ = [
    "MISSING",
    "SPRIG",
    "Engine",
    "Int64",
    "StringList",
    "StringMap",
    "Template",
    "compile",
    "render",
    "string_map",
]

MISSINGKEY_OPTIONS = ("error", "default", "invalid", "zero")


def sprig_funcs() -> FuncMap:
    """Go builtins plus sprig without ``env``/``expandenv`` (what ESO and sealed-secrets install).

    Like Go, template functions shadow builtins of the same name (sprig's ``slice``).
    """
    table: FuncMap = dict(BUILTINS)
    table.update(SPRIG_FUNCS)
    return table


@dataclass(frozen=True)
class Template:
    """A parsed template: the main tree plus its ``define``/``block`` trees. Reusable."""

    name: str
    trees: Mapping[str, Tree]
    funcs: FuncMap = field(repr=False)
    missingkey: str = "error"

    def execute(self, data: Any, *, funcs: Mapping[str, Callable[..., Any] | GoFunc] | None = None) -> str:
        """Render with ``data`` as dot; extra ``funcs`` override or add functions at run time."""
        table = self.funcs
        if funcs:
            table = {**self.funcs, **{name: wrap_python(fn) for name, fn in funcs.items()}}
        try:
            return execute(self.trees, self.name, data, table, self.missingkey)
        except ExecError as e:
            raise TemplateError(redact(str(e), data)) from None
        except Exception as e:  # a bug of ours must still fail closed, without a value
            raise TemplateError(f"template: {self.name}: internal error ({type(e).__name__})") from None

    def execute_bytes(
        self, data: Any, *, funcs: Mapping[str, Callable[..., Any] | GoFunc] | None = None
    ) -> bytes:
        """Render to the exact bytes Go would produce (binary results such as ``b64dec``)."""
        return gobytes(self.execute(data, funcs=funcs))

    def defined_templates(self) -> list[str]:
        return sorted(self.trees)


@dataclass(frozen=True)
class Engine:
    """A function set templates are parsed against: Go's ``template.New(name).Funcs(table)``.

    Built once (the table is merged at construction, not per template) and shared: compiling
    is per template text, executing per data.
    """

    funcs: FuncMap = field(repr=False)

    @classmethod
    def with_functions(cls, extra: Mapping[str, Callable[..., Any] | GoFunc]) -> Engine:
        """Builtins, sprig, then ``extra`` (later names shadow earlier ones, as in Go)."""
        table = sprig_funcs()
        table.update({name: wrap_python(fn) for name, fn in extra.items()})
        return cls(table)

    def _merge(self, funcs: Mapping[str, Callable[..., Any] | GoFunc] | None) -> FuncMap:
        if not funcs:
            return self.funcs
        table = dict(self.funcs)
        for name, fn in funcs.items():
            table[name] = wrap_python(fn)
        return table

    def compile(
        self,
        text: str,
        *,
        delims: tuple[str, str] = ("{{", "}}"),
        name: str = "",
        funcs: Mapping[str, Callable[..., Any] | GoFunc] | None = None,
        missingkey: str = "error",
    ) -> Template:
        """Parse once; raise :class:`TemplateError` (Go's message, with line) on bad syntax."""
        if missingkey not in MISSINGKEY_OPTIONS:
            raise TemplateError(f"template: {name}: unrecognized option missingkey={missingkey}")
        table = self._merge(funcs)
        left, right = delims
        try:
            trees = parse(name, text, left or "{{", right or "}}", table.__contains__)
        except ParseError as e:
            err = TemplateError(str(e))
            err.line = e.line  # type: ignore[attr-defined]
            err.col = e.col  # type: ignore[attr-defined]
            raise err from None
        except RecursionError:
            raise TemplateError(f"template: {name}: template nested too deeply") from None
        except Exception as e:  # a bug of ours must still fail closed
            raise TemplateError(f"template: {name}: internal error ({type(e).__name__})") from None
        return Template(name, trees, table, "default" if missingkey == "invalid" else missingkey)

    def render(
        self,
        text: str,
        data: Any,
        *,
        delims: tuple[str, str] = ("{{", "}}"),
        funcs: Mapping[str, Callable[..., Any] | GoFunc] | None = None,
        name: str = "",
        missingkey: str = "error",
    ) -> str:
        """Parse and execute in one go."""
        return self.compile(text, delims=delims, name=name, funcs=funcs, missingkey=missingkey).execute(data)


#: Go builtins + sprig: sealed-secrets' function set, and the base every other set extends
SPRIG = Engine(sprig_funcs())
compile = SPRIG.compile  # noqa: A001 - Go's name for it
render = SPRIG.render


def string_map(values: Mapping[str, bytes | str]) -> StringMap:
    """Template data as ESO and sealed-secrets pass it: a ``map[string]string`` of secret values.

    Bytes that are not UTF-8 survive (as surrogate escapes) so ``pkcs12key`` or ``b64enc`` see
    exactly the bytes the provider returned; :meth:`Template.execute_bytes` restores them.
    """
    out = StringMap()
    for k, v in values.items():
        out[k] = gostr(v) if isinstance(v, bytes | bytearray) else v
    return out
