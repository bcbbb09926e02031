"""Opening a connection's sealed secrets, in memory, for one sync.

Core seals each secret with `tradeloop_contracts.sealing` under the context (purpose
`broker-connection`, the user, the connection, the kind); workers hold a key ring that
can only open. A blob moved to another connection, user or kind does not open.
"""

from __future__ import annotations

import base64
import binascii
import logging
from collections.abc import Callable

from pydantic import SecretStr
from tradeloop_contracts import SEALING_PURPOSE, SealedBrokerCredentials
from tradeloop_contracts.sealing import KeyRing, MalformedBlobError, Opener, SealContext

from .adapter import BrokerCredentials

SECRET_KINDS = ("api_key_id", "api_secret", "access_token", "refresh_token")
logger = logging.getLogger(__name__)

OpenSecret = Callable[[SealedBrokerCredentials, str], SecretStr]
"""Opens the blob of one kind of secret of a connection; raises SealError when it does not."""


def sealed_secret_opener(ring: KeyRing) -> OpenSecret:
    """Opens connection secrets with `ring`. The opener raises the sealing library's
    SealError (never carrying the secret) for a blob that does not open."""
    opener = Opener(ring)

    def open_secret(sealed: SealedBrokerCredentials, kind: str) -> SecretStr:
        text = sealed.secrets[kind]
        try:
            blob = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
        except (binascii.Error, ValueError):
            raise MalformedBlobError(f"the {kind} blob is not base64url") from None
        context = SealContext(
            purpose=SEALING_PURPOSE,
            user_id=sealed.user_id,
            connection_id=sealed.connection_id,
            kind=kind,
        )
        return opener.open_text(blob, context)

    return open_secret


def credentials_of(sealed: SealedBrokerCredentials, open_secret: OpenSecret) -> BrokerCredentials:
    """The connection's secrets, opened; kinds this worker does not know are left sealed."""
    unknown = sorted(set(sealed.secrets) - set(SECRET_KINDS))
    if unknown:
        logger.warning(
            "connection %s holds secret kinds this worker does not use: %s",
            sealed.connection_id,
            ", ".join(unknown),
        )
    opened = {kind: open_secret(sealed, kind) for kind in SECRET_KINDS if kind in sealed.secrets}
    return BrokerCredentials(**opened)
