"""The renderer sealed-secrets' ``spec.template.data`` needs, for callers that may import us.

``secretsops.sealed`` must not import ``secretsops.external`` (layering), so the CLI and the
engine hand this callable to the sealed decryptor as ``template_renderer``. sealed-secrets
parses with Go's default ``missingkey`` (a missing key prints ``<no value>``) over a
``map[string]string`` of the decrypted values.
"""

from __future__ import annotations

from collections.abc import Mapping

from secretsops.external.template import eso_data, render


def sealed_template_renderer(text: str, data: Mapping[str, str]) -> str:
    return str(render(text, eso_data(dict(data)), missingkey="default"))
