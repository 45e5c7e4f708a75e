"""Bad input is reported or skipped with a note, never a crash or a traceback."""

from __future__ import annotations

import os

LEAK = "apiVersion: v1\nkind: Secret\nmetadata:\n  name: s\nstringData:\n  pw: {pw}\n"


def test_invalid_yaml_is_a_note_and_other_files_still_fail(repo, canary):
    repo.write("broken.yaml", "kind: Secret\na: [unclosed\n  b: {\n")
    repo.write("s.yaml", LEAK.format(pw=canary))
    res = repo.check_json()
    assert res.code == 1
    assert {"path": "broken.yaml", "reason": "cannot parse YAML/JSON at line 3"} in res.json["notes"]


def test_key_material_in_an_unparseable_yaml_file_is_still_found(repo):
    from tests.check.test_key_material import make_age_identity

    identity, _ = make_age_identity()
    repo.write("broken.yaml", f"key: {identity}\n  - : [\n")
    assert ("age-secret-key", "broken.yaml", 1) in repo.check_json().rules_at()


def test_binary_files_are_skipped_with_a_note(repo):
    repo.write("logo.png", b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR" + os.urandom(64))
    res = repo.check()
    assert res.code == 0
    assert "1 binary file skipped" in res.out


def test_huge_files_are_skipped_with_a_note(repo):
    repo.write("big.txt", "x" * 2048)
    res = repo.check_json("--max-file-size", "1024")
    assert res.json["notes"] == [{"path": "big.txt", "reason": "larger than 1024 bytes, skipped"}]


def test_symlink_out_of_the_repo_is_not_followed(repo, tmp_path, canary):
    outside = tmp_path / "outside.yaml"
    outside.write_text(LEAK.format(pw=canary))
    os.symlink(outside, repo.root / "link.yaml")
    res = repo.check_json()
    assert res.code == 0
    assert res.json["notes"] == [
        {"path": "link.yaml", "reason": "symlink to outside the repository, not followed"}
    ]


def test_unreadable_file_is_a_note(repo, monkeypatch):
    from pathlib import Path

    path = repo.write("secret.yaml", "a: b\n")
    real_read = Path.read_bytes

    def read_bytes(self):
        if self.name == path.name:
            raise PermissionError(13, "Permission denied")
        return real_read(self)

    monkeypatch.setattr(Path, "read_bytes", read_bytes)
    res = repo.check_json()
    assert res.code == 0
    assert res.json["notes"] == [{"path": "secret.yaml", "reason": "cannot read (Permission denied)"}]


def test_non_utf8_text_is_scanned(repo):
    repo.write(
        "latin.yaml",
        "name: caf\xe9\n".encode("latin-1") + b"token: ghp_" + b"A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8\n",
    )
    assert ("github-token", "latin.yaml", 2) in repo.check_json().rules_at()


def test_nonexistent_path_is_a_one_line_error(repo):
    res = repo.check("does-not-exist")
    assert res.code == 2
    assert res.err == "secretsops: does-not-exist: no such file or directory\n"


def test_staged_outside_git_is_a_one_line_error(tmp_path, capsys, monkeypatch):
    from secretsops.cli.main import main

    monkeypatch.chdir(tmp_path)
    assert main(["check", "--staged"]) == 2
    assert "needs a git repository" in capsys.readouterr().err


def test_broken_sops_config_is_a_note(repo):
    repo.write(".sops.yaml", "creation_rules:\n  - path_regex: '(unclosed'\n")
    repo.write("a.yaml", "x: 1\n")
    res = repo.check_json()
    assert res.code == 0
    assert any(".sops.yaml" in n["reason"] for n in res.json["notes"])


def test_broken_secretsops_config_is_a_one_line_error(repo):
    repo.write(".secretsops.yaml", "check:\n  exclude: notalist\n")
    res = repo.check()
    assert res.code == 2
    assert res.err == "secretsops: .secretsops.yaml: check.exclude must be a list of glob strings\n"


def alias_bomb() -> str:
    """20 levels of anchors, each referring 4 times to the one before: 9 * 4**20 nodes."""
    lines = ["a: &a [x, x, x, x, x, x, x, x, x]"]
    for i in range(20):
        lines.append(f"{chr(98 + i)}: &{chr(98 + i)} [" + ", ".join([f"*{chr(97 + i)}"] * 4) + "]")
    return "\n".join(lines) + "\n"


def test_yaml_alias_bomb_and_cycles_do_not_hang_and_fail_closed(repo):
    repo.write("bomb.yaml", "kind: Secret\nsops: {}\npassword: ENC[x]\n" + alias_bomb())
    repo.write("cycle.yaml", "token: &c [*c]\nkind: Secret\n")
    res = repo.check_json()
    assert res.code == 2  # over a reader limit: the files cannot be judged (docs/security.md#limits)
    assert sorted(e["path"] for e in res.json["errors"]) == ["bomb.yaml", "cycle.yaml"]


def test_an_alias_bomb_inside_a_helm_template_fails_closed(repo):
    # the template does not parse until its actions are replaced; then the bomb must still be refused
    repo.write("templates/bomb.yaml", "name: {{ .Values.name }}\nkind: Secret\n" + alias_bomb())
    res = repo.check_json()
    assert res.code == 2
    [error] = res.json["errors"]
    assert error["path"] == "templates/bomb.yaml" and "limit max_alias_nodes" in error["reason"]
