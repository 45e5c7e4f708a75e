"""Helpers for the template specs: render with ESO's settings unless told otherwise."""

from __future__ import annotations

from typing import Any

import pytest

from secretsops.errors import TemplateError
from secretsops.external.template_funcs import ESO_TEMPLATES

render = ESO_TEMPLATES.render


def go(text: str, data: Any = None, **kw: Any) -> str:
    return render(text, {} if data is None else data, name=kw.pop("name", "t"), **kw)


def go_error(text: str, data: Any = None, **kw: Any) -> str:
    with pytest.raises(TemplateError) as info:
        go(text, data, **kw)
    return str(info.value)
