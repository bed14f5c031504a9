"""Bearer tokens for the HTTP transport: created per workspace, stored only as a hash."""

import asyncio
import hashlib
import secrets

from mcp.server.auth.provider import AccessToken

from db.stores import Stores
from db.tokens import save_token, workspace_for_digest

PREFIX = "shmcp_"


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(stores: Stores, workspace_id: str, label: str | None = None) -> str:
    """A new token for the workspace; the caller shows it once, we keep only its hash."""
    token = PREFIX + secrets.token_urlsafe(32)
    with stores.postgres.tenant(workspace_id) as conn:
        save_token(conn, workspace_id, _digest(token), label)
    return token


def workspace_for_token(stores: Stores, token: str) -> str | None:
    """The workspace a token was created for, or None (operator lookup: any workspace)."""
    if not token.startswith(PREFIX):
        return None
    with stores.postgres.operator() as conn:
        return workspace_for_digest(conn, _digest(token))


class StoreTokenVerifier:
    """The MCP SDK's TokenVerifier over our token table; the workspace becomes the client id."""

    def __init__(self, stores: Stores):
        self._stores = stores

    async def verify_token(self, token: str) -> AccessToken | None:
        """Accept a token we issued, as its workspace; refuse anything else."""
        workspace_id = await asyncio.to_thread(workspace_for_token, self._stores, token)
        if workspace_id is None:
            return None
        return AccessToken(token=token, client_id=workspace_id, scopes=[])
