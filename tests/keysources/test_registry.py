"""One registry per seam, read from installed entry points, failing closed on ambiguity."""

from __future__ import annotations

import sys
from importlib.metadata import entry_points
from pathlib import Path

import pytest

from secretsops import entrypoints
from secretsops.decryptors.registry import DecryptorRegistry
from secretsops.errors import UsageError
from secretsops.keysources.age import AgeKeySource
from secretsops.keysources.registry import KeySourceRegistry, keysources
from secretsops.sops.formats.registry import FormatRegistry, formats

HERE = "tests.keysources.test_registry"


class ClashingFlag(AgeKeySource):
    """A second key source that wants ``--age``."""

    kind = "age2"
    rule_key = "age2"
    group_key = "age2"
    recipients_env = ""


class MisnamedKind(AgeKeySource):
    kind = "not-the-entry-point-name"


def ep(group: str, name: str, value: str, dist: str = "plugin") -> entrypoints.EntryPoint:
    return entrypoints.EntryPoint(group, name, value, dist)


def dist_info(root: Path, dirname: str, text: str | None) -> None:
    d = root / dirname
    d.mkdir(parents=True)
    if text is not None:
        (d / "entry_points.txt").write_text(text)


# --- reading entry points --------------------------------------------------------------------


def test_scan_reads_only_secretsops_groups_and_drops_extras(tmp_path: Path) -> None:
    dist_info(
        tmp_path,
        "acme_plugin-1.0.dist-info",
        "[console_scripts]\nacme = acme:main\n\n[secretsops.keysources]\n"
        "gcp_kms = acme.gcp:GcpKms [gcp]\n# a comment\n",
    )
    dist_info(tmp_path, "other-2.0.dist-info", "[pytest11]\nx = y\n")
    dist_info(tmp_path, "bare-1.0.dist-info", None)
    assert entrypoints.scan([str(tmp_path)]) == (
        ep("secretsops.keysources", "gcp_kms", "acme.gcp:GcpKms", "acme_plugin"),
    )


def test_the_first_copy_of_a_distribution_on_the_path_wins(tmp_path: Path) -> None:
    dist_info(tmp_path / "a", "Acme.Plugin-2.0.dist-info", "[secretsops.formats]\ntoml = new:Toml\n")
    dist_info(tmp_path / "b", "acme_plugin-1.0.egg-info", "[secretsops.formats]\ntoml = old:Toml\n")
    found = entrypoints.scan([str(tmp_path / "a"), str(tmp_path / "b"), str(tmp_path / "missing")])
    assert [e.value for e in found] == ["new:Toml"]


def test_scan_agrees_with_importlib_metadata_on_this_interpreter() -> None:
    """The fast reader is a shortcut, not a different answer."""
    for group in ("secretsops.keysources", "secretsops.formats", "secretsops.decryptors"):
        ours = {(e.name, e.value) for e in entrypoints.group(group, entrypoints.scan(sys.path))}
        theirs = {(e.name, e.value) for e in entry_points(group=group)}
        assert ours == theirs, group


def test_two_distributions_claiming_one_name_fail_closed() -> None:
    found = [
        ep("secretsops.keysources", "age", "secretsops.keysources.age:AgeKeySource", "secretsops"),
        ep("secretsops.keysources", "age", "evil:Age", "evil_plugin"),
    ]
    with pytest.raises(UsageError, match=r"provide .* 'age' \(secretsops, evil_plugin\): uninstall one"):
        entrypoints.group("secretsops.keysources", found)


# --- key sources -------------------------------------------------------------------------------


def test_kinds_are_known_without_importing_any_key_source() -> None:
    reg = KeySourceRegistry.from_entry_points([ep("secretsops.keysources", "ghost", "no_such_module_x:Key")])
    assert reg.kinds() == ["ghost"]
    assert "no_such_module_x" not in sys.modules


def test_a_key_source_that_does_not_import_is_absent_not_fatal() -> None:
    reg = KeySourceRegistry.from_entry_points([ep("secretsops.keysources", "ghost", "no_such_module_x:Key")])
    assert reg.get("ghost") is None and reg.classes() == []


def test_built_in_key_sources_come_in_decryption_order() -> None:
    kinds = [c.kind for c in keysources().classes()]
    assert kinds.index("age") < kinds.index("pgp") < kinds.index("hc_vault") < kinds.index("kms")


def test_flags_rule_keys_and_group_keys_come_from_the_classes() -> None:
    reg = keysources()
    assert reg.by_cli_flag()["hc-vault-transit"].kind == "hc_vault"
    assert reg.by_rule_key()["hc_vault_transit_uri"].kind == "hc_vault"
    assert reg.by_group_key()["hc_vault"].kind == "hc_vault"
    assert reg.kind_for_order_name("hc_vault_transit") == "hc_vault"


def test_two_key_sources_with_one_flag_fail_closed() -> None:
    reg = KeySourceRegistry.from_entry_points(
        [
            ep("secretsops.keysources", "age", "secretsops.keysources.age:AgeKeySource", "secretsops"),
            ep("secretsops.keysources", "age2", f"{HERE}:ClashingFlag"),
        ]
    )
    with pytest.raises(UsageError, match="key sources 'age' and 'age2' both use cli_flag 'age'"):
        reg.classes()


def test_an_entry_point_named_unlike_its_kind_is_refused() -> None:
    reg = KeySourceRegistry.from_entry_points([ep("secretsops.keysources", "mis", f"{HERE}:MisnamedKind")])
    with pytest.raises(UsageError, match="the entry-point name must be the kind"):
        reg.get("mis")


# --- formats -----------------------------------------------------------------------------------


def test_format_names_are_the_cli_choices_without_importing_stores() -> None:
    reg = FormatRegistry.from_entry_points([ep("secretsops.formats", "toml", "no_such_module_y:Toml")])
    assert reg.names() == ["toml"] and "no_such_module_y" not in sys.modules


@pytest.mark.parametrize(
    ("path", "fmt"),
    [
        ("a.yaml", "yaml"),
        ("dir/b.YML", "yaml"),
        ("c.json", "json"),
        (".env", "dotenv"),
        ("prod.env", "dotenv"),
        ("x.ini", "ini"),
        ("notes.txt", "binary"),
        ("Makefile", "binary"),
    ],
)
def test_each_store_declares_the_files_it_is_picked_for(path: str, fmt: str) -> None:
    assert formats().for_path(path) == fmt


def test_unknown_format_names_the_known_ones() -> None:
    with pytest.raises(UsageError, match=r"unknown format 'toml' \(known: binary, dotenv, ini, json, yaml\)"):
        formats().get("toml")


def test_sops_yaml_stores_section_comes_from_the_store() -> None:
    assert [formats().config_section(f) for f in ("yaml", "json", "binary", "dotenv")] == [
        "yaml",
        "json",
        "json_binary",
        "",
    ]


# --- decryptors --------------------------------------------------------------------------------


def test_decryptors_load_in_pipeline_order() -> None:
    from secretsops.decryptors.registry import decryptors

    assert [d.name for d in decryptors().load()] == ["sops", "sealed", "external"]


def test_a_decryptor_that_does_not_import_is_reported_or_fatal() -> None:
    reg = DecryptorRegistry.from_entry_points([ep("secretsops.decryptors", "ghost", "no_such_module_z:D")])
    missing: list[str] = []
    assert reg.load(unavailable=lambda name, _exc: missing.append(name)) == [] and missing == ["ghost"]
    with pytest.raises(ImportError):
        reg.load()


# --- start-up: plugins are imported only when used -------------------------------------------------


def test_decrypting_an_age_file_imports_no_other_key_source_or_store(tmp_path: Path) -> None:
    """Every installed key source brings encrypt flags, yet decrypt never pays for importing them."""
    import subprocess

    import pyrage

    ident = pyrage.x25519.Identity.generate()
    (tmp_path / "key.txt").write_text(f"{ident}\n")
    (tmp_path / "s.yaml").write_text("a: b\n")
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "SOPS_AGE_KEY_FILE": str(tmp_path / "key.txt")}
    run = [sys.executable, "-m", "secretsops"]
    enc = subprocess.run(
        [*run, "encrypt", "--age", str(ident.to_public()), "s.yaml"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        check=True,
    )
    (tmp_path / "s.enc.yaml").write_bytes(enc.stdout)
    probe = (
        "import sys, runpy; sys.argv = ['secretsops', 'decrypt', 's.enc.yaml']\n"
        "try:\n    runpy.run_module('secretsops', run_name='__main__')\n"
        "except SystemExit:\n    pass\n"
        "print(','.join(sorted(m for m in sys.modules if m.startswith(('secretsops.keysources.', "
        "'secretsops.sops.formats.', 'secretsops_')))), file=sys.stderr)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe], env=env, cwd=tmp_path, capture_output=True, text=True, check=True
    )
    assert out.stdout == "a: b\n"
    loaded = set(out.stderr.strip().splitlines()[-1].split(","))
    assert loaded == {
        "secretsops.keysources.age",
        "secretsops.keysources.base",
        "secretsops.keysources.registry",
        "secretsops.sops.formats.base",
        "secretsops.sops.formats.registry",
        "secretsops.sops.formats.yaml",
    }
