"""Opening a connection's sealed secrets, in memory, for one sync."""

from __future__ import annotations

import logging
from collections.abc import Callable

from pydantic import SecretStr

from .adapter import BrokerCredentials
from .shapes import SealedBrokerCredentials

SECRET_KINDS = ("api_key_id", "api_secret", "access_token", "refresh_token")
logger = logging.getLogger(__name__)

OpenSecret = Callable[[SealedBrokerCredentials, str], SecretStr]
"""Opens the blob of one kind of secret of a connection; raises when it does not open."""


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
