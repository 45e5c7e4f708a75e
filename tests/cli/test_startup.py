"""The start-up shortcut for PyYAML's import (``cli/startup.py``) changes nothing PyYAML does."""

from __future__ import annotations

import re
import subprocess
import sys

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
