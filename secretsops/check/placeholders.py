"""Values that are clearly not secrets, so reporting them would only teach people to ignore us.

Deliberately narrow: an empty value, a whole-value substitution (``${VAR}``, ``$(VAR)``,
``{{ .Values.x }}``, ``%(name)s``), an angle-bracket placeholder (``<your-password>``), a
run of one filler character (``xxxx``, ``****``), a value elided with a trailing ``...``
(documentation examples: ``AgBy3i4O...``), a short list of words everyone uses as
"fill me in" (``changeme``, ``replace-me``, ``placeholder``, ``redacted``, ``todo``; the first
four also inside a longer value), values starting ``your-``/``insert-``, and
AWS's documented ``...EXAMPLE`` keys. ``password``, ``secret`` or ``admin`` are NOT
placeholders: people deploy them, and they are leaks.
"""

from __future__ import annotations

import re

_SUBSTITUTION = re.compile(
    r"""^\s*(?:
        \$\{[^}]*\}            # ${VAR} / ${VAR:-default}
      | \$\([^)]*\)            # $(VAR) (kubernetes env expansion)
      | \{\{.*\}\}             # {{ helm / go template }}
      | %\([^)]*\)[sd]         # %(name)s
      | <[^<>]*>               # <your-password>
      | \[\[[^\]]*\]\]         # [[ placeholder ]]
      | \$[A-Z_][A-Z0-9_]*     # $VAR
    )\s*$""",
    re.VERBOSE | re.DOTALL,
)
#: words that mark a whole value as a stand-in wherever they appear ("change-me-placeholder")
_MARKERS = ("placeholder", "changeme", "change-me", "change_me", "replace-me", "replace_me", "replaceme",
            "redacted")  # fmt: skip
_FILLER = re.compile(r"^(.)\1{2,}$")
_WORDS = frozenset(
    {
        "changeme",
        "change-me",
        "change_me",
        "changeit",
        "replaceme",
        "replace-me",
        "replace_me",
        "placeholder",
        "redacted",
        "todo",
        "tbd",
        "fixme",
        "none",
        "null",
        "nil",
        "undefined",
        "dummy",
        "example",
        "your-password-here",
        "your_password_here",
        "secret-goes-here",
    }
)


def is_placeholder(value: str) -> bool:
    """True when ``value`` is plainly not a real secret (see the module docstring)."""
    v = value.strip()
    if not v:
        return True
    if _FILLER.match(v) or _SUBSTITUTION.match(v) or v.endswith(("...", "\u2026")):
        return True  # the last: elided in docs ("AgBy3i4OJSWK...")
    low = v.lower().strip("'\"")
    if low in _WORDS or low.startswith(("your-", "your_", "insert-", "insert_")):
        return True
    if any(marker in low for marker in _MARKERS):
        return True
    return "EXAMPLE" in v and v[:4] in ("AKIA", "ASIA", "wJal")
