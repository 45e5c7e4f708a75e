"""Round trips over arbitrary values, keys and scopes (hypothesis)."""

from __future__ import annotations

import base64

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from kubesealpy import SealedSecret
from kubesealpy import Unsealer as TheirUnsealer

from secretsops.sealed.scope import Scope
from secretsops.sealed.sealing import SealOptions, seal_secret
from secretsops.sealed.unsealing import Unsealer

from .conftest import secret

KEY_NAMES = st.from_regex(r"[-._a-zA-Z0-9]{1,20}", fullmatch=True)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    values=st.dictionaries(KEY_NAMES, st.binary(max_size=300), min_size=1, max_size=4),
    scope=st.sampled_from(list(Scope)),
)
def test_any_values_round_trip_through_us_and_kubesealpy(kp, values, scope):
    data = {k: base64.b64encode(v).decode() for k, v in values.items()}
    sealed = seal_secret(kp.public, secret(data=data), SealOptions(scope=scope))
    ours = Unsealer([kp.sealing_key()]).unseal(sealed)["data"]
    theirs = TheirUnsealer([kp.key]).unseal(SealedSecret.model_validate(sealed)).get_data_decoded()
    assert {k: base64.b64decode(v) for k, v in ours.items()} == values == theirs
