"""Working tree, --staged, --history and --since see the right bytes."""

from __future__ import annotations

from tests.helpers import assert_no_canary

LEAK = "apiVersion: v1\nkind: Secret\nmetadata:\n  name: s\nstringData:\n  pw: {pw}\n"


def test_untracked_files_are_scanned_and_ignored_ones_are_not(repo, canary):
    repo.write(".gitignore", "local/\n")
    repo.write("local/s.yaml", LEAK.format(pw=canary))
    assert repo.check().code == 0
    repo.write("new/s.yaml", LEAK.format(pw=canary))
    assert repo.check_json().rules_at() == {("k8s-secret-plaintext", "new/s.yaml", 6)}


def test_staged_scans_the_staged_blob_not_the_working_file(repo, canary):
    repo.write("ok.txt", "fine\n")
    repo.commit("init")
    path = repo.write("s.yaml", LEAK.format(pw=canary))
    repo.git("add", "s.yaml")
    path.write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: s}\n")
    assert repo.check().code == 0
    res = repo.check_json("--staged")
    assert res.rules_at() == {("k8s-secret-plaintext", "s.yaml", 6)}
    assert_no_canary(canary, res.out)


def test_staged_with_the_leak_fixed_in_the_index_passes(repo, canary):
    path = repo.write("s.yaml", LEAK.format(pw=canary))
    repo.git("add", "s.yaml")
    path.write_text(LEAK.format(pw="${PW}"))
    repo.git("add", "s.yaml")
    path.write_text(LEAK.format(pw=canary))
    assert repo.check("--staged").code == 0


def test_staged_with_paths_scans_only_those_index_entries(repo, canary):
    repo.write("a.yaml", LEAK.format(pw=canary))
    repo.write("b.txt", "fine\n")
    repo.git("add", "-A")
    assert repo.check("--staged", "b.txt").code == 0
    assert repo.check("--staged", "a.yaml").code == 1


def test_history_finds_a_secret_that_was_added_and_later_deleted(repo, canary):
    repo.write("README.md", "hi\n")
    repo.commit("init")
    repo.write("deploy/s.yaml", LEAK.format(pw=canary))
    leaked = repo.commit("oops")
    (repo.root / "deploy/s.yaml").unlink()
    repo.commit("remove")
    assert repo.check().code == 0
    res = repo.check_json("--history")
    assert res.rules_at() == {("k8s-secret-plaintext", "deploy/s.yaml", 6)}
    assert res.json["findings"][0]["commit"] == leaked
    assert leaked[:12] in repo.check("--history").out


def test_history_scans_each_blob_once(repo, canary):
    repo.write("s.yaml", LEAK.format(pw=canary))
    repo.commit("one")
    repo.write("copy/s.yaml", LEAK.format(pw=canary))
    repo.write("other.txt", "x\n")
    repo.commit("two")
    repo.git("checkout", "-q", "-b", "side")
    repo.write("side.txt", "y\n")
    repo.commit("three")
    res = repo.check_json("--history")
    assert len(res.json["findings"]) == 1
    assert res.json["files_scanned"] == 3


def test_since_scans_only_blobs_new_after_rev(repo, canary):
    repo.write("old.yaml", LEAK.format(pw=canary))
    base = repo.commit("old leak")
    repo.write("fine.txt", "ok\n")
    repo.commit("clean change")
    assert repo.check("--since", base).code == 0
    repo.write("new.yaml", LEAK.format(pw=canary + "2"))
    repo.commit("new leak")
    assert repo.check_json("--since", base).rules_at() == {("k8s-secret-plaintext", "new.yaml", 6)}


def test_since_an_unknown_revision_is_a_one_line_error(repo):
    repo.write("a.txt", "a\n")
    repo.commit()
    res = repo.check("--since", "no-such-rev")
    assert res.code == 2
    assert res.err.strip() == "secretsops: --since: unknown revision 'no-such-rev'"


def test_outside_a_git_repository_every_file_is_scanned(tmp_path, capsys, monkeypatch, canary):
    from secretsops.cli.main import main

    (tmp_path / "plain").mkdir()
    (tmp_path / "plain" / "s.yaml").write_text(LEAK.format(pw=canary))
    monkeypatch.chdir(tmp_path / "plain")
    assert main(["check", "--no-progress"]) == 1
    assert "s.yaml:6" in capsys.readouterr().out


def test_a_file_named_on_the_command_line_is_scanned_even_if_ignored(repo, canary):
    repo.write(".gitignore", "local/\n")
    repo.write("local/s.yaml", LEAK.format(pw=canary))
    assert repo.check().code == 0
    assert repo.check_json("local/s.yaml").rules_at() == {("k8s-secret-plaintext", "local/s.yaml", 6)}


def test_scanning_from_a_subdirectory_covers_the_whole_repo(repo, canary):
    repo.write("a/b/c.txt", "x\n")
    repo.write("top.yaml", LEAK.format(pw=canary))
    repo.monkeypatch.chdir(repo.root / "a" / "b")
    from secretsops.cli.main import main

    assert main(["check", "--no-progress"]) == 1


def test_history_can_be_limited_to_paths(repo, canary):
    repo.write("apps/s.yaml", LEAK.format(pw=canary))
    repo.write("infra/s.yaml", LEAK.format(pw=canary + "-2"))
    repo.commit("two leaks")
    repo.git("rm", "-q", "-r", "apps")
    repo.commit("remove apps")
    assert repo.check_json("--history", "apps").rules_at() == {("k8s-secret-plaintext", "apps/s.yaml", 6)}


def test_history_reports_a_secret_kept_across_versions_once_at_its_first_commit(repo, canary):
    repo.write("s.yaml", LEAK.format(pw=canary))
    first = repo.commit("leak")
    repo.write("s.yaml", "# edited\n" + LEAK.format(pw=canary))
    repo.commit("edit above")
    repo.write("s.yaml", "# edited twice\n# really\n" + LEAK.format(pw=canary))
    repo.commit("edit again")
    findings = repo.check_json("--history").json["findings"]
    assert [(f["path"], f["line"], f["commit"]) for f in findings] == [("s.yaml", 6, first)]
