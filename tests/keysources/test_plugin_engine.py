"""The engine opens a plugin-encrypted Secret with the key its decryption Secret carries.

Same plugin as ``test_plugin_keysource.py``: the Flux-style decryption Secret holds a
``team.filewrap`` entry, which only the plugin's ``env_from_decryption_secret`` understands.
"""

from __future__ import annotations

import base64

from secretsops.keysources.base import KeyContext
from secretsops.sops.api import EncryptOptions, encrypt_bytes
from tests.engine.conftest import age_key, git_repo, recorded  # noqa: F401 - fixtures for harness
from tests.engine.conftest import harness as engine_harness
from tests.engine.test_decryptors import SECRET, add_resources

harness = engine_harness  # the engine's fixture, under its own name for this module


def test_a_pass_decrypts_with_the_plugin_key_from_the_decryption_secret(harness, plugin, tmp_path) -> None:  # type: ignore[no-untyped-def]
    plugin.new_key(tmp_path, "team")
    key_b64 = (tmp_path / "team.key").read_text().strip()
    enc = encrypt_bytes(
        SECRET.format(name="api", value="from-the-plugin").encode(),
        "yaml",
        groups=[[plugin.FileWrapKeySource("team")]],
        options=EncryptOptions(encrypted_regex="^(data|stringData)$"),
        ctx=KeyContext.from_environ({"SOPS_FILE_WRAP_DIR": str(tmp_path)}),
    )
    assert b"file_wrap:" in enc
    harness.core().patch_namespaced_secret(
        "sops-age",
        "secretsops-system",
        {"data": {"team.filewrap": base64.b64encode(key_b64.encode()).decode()}},
    )
    harness.write_app({"A": "1"})
    harness.repo.write("apps/api.yaml", enc)
    add_resources(harness, "api.yaml")
    harness.repo.commit()
    (res,) = harness.engine().run_once()
    assert res.ok, res.error
    assert harness.secret("api") == {"token": "from-the-plugin"}
