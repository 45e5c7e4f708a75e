"""A faithful Go text/template + sprig engine for External Secrets templates (engine v2).

ESO renders ``spec.target.template`` with Go's text/template, the sprig function library
(minus ``env``/``expandenv``), its own extras (pkcs12, PEM, JWK, YAML) and
``missingkey=error``. This package reproduces that in pure Python::

    tpl = compile("{{ .user }}:{{ .password | b64enc }}", name="creds")
    tpl.execute(eso_data({"user": b"admin", "password": b"s3cret"}))

Errors are :class:`secretsops.errors.TemplateError` with Go's wording and position, and never
contain the data's values.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ...errors import TemplateError

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
from .funcs_eso import ESO_FUNCS
from .funcs_go import BUILTINS
from .funcs_sprig import SPRIG_FUNCS
from .parser import ParseError, Tree, parse
from .redact import redact
from .values import MISSING, Int64, StringList, StringMap

__all__ = [
    "MISSING",
    "Int64",
    "StringList",
    "StringMap",
    "Template",
    "compile",
    "default_funcs",
    "eso_data",
    "render",
]

MISSINGKEY_OPTIONS = ("error", "default", "invalid", "zero")


def default_funcs() -> FuncMap:
    """ESO's function set: Go builtins, sprig (without env/expandenv), ESO's own functions.

    Like Go, template functions shadow builtins of the same name (sprig's ``slice``).
    """
    table: FuncMap = dict(BUILTINS)
    table.update(SPRIG_FUNCS)
    table.update(ESO_FUNCS)
    return table


_DEFAULT_FUNCS = default_funcs()


def _merge(funcs: Mapping[str, Callable[..., Any] | GoFunc] | None) -> FuncMap:
    if not funcs:
        return _DEFAULT_FUNCS
    table = dict(_DEFAULT_FUNCS)
    for name, fn in funcs.items():
        table[name] = wrap_python(fn)
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


def compile(  # noqa: A001 - the API name the ESO code calls
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
    table = _merge(funcs)
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
    text: str,
    data: Any,
    *,
    delims: tuple[str, str] = ("{{", "}}"),
    funcs: Mapping[str, Callable[..., Any] | GoFunc] | None = None,
    name: str = "",
    missingkey: str = "error",
) -> str:
    """Parse and execute in one go."""
    return compile(text, delims=delims, name=name, funcs=funcs, missingkey=missingkey).execute(data)


def eso_data(values: Mapping[str, bytes | str]) -> StringMap:
    """ESO's template data: ``map[string]string`` of the fetched secret values.

    Bytes that are not UTF-8 survive (as surrogate escapes) so ``pkcs12key`` or ``b64enc`` see
    exactly the bytes the provider returned; :meth:`Template.execute_bytes` restores them.
    """
    out = StringMap()
    for k, v in values.items():
        out[k] = gostr(v) if isinstance(v, bytes | bytearray) else v
    return out
