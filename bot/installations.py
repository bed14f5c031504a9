"""Bolt's InstallationStore and OAuthStateStore over PostgreSQL, tokens encrypted at rest.

Each installation lives under its workspace's row-level security, like all tenant data; the
bot and user tokens are Fernet-encrypted with a key from settings, and everything else Bolt
keeps about an install (ids, scopes, names) is stored as JSON beside them.
"""

import secrets
from datetime import UTC, datetime, timedelta
from logging import Logger, getLogger

from cryptography.fernet import Fernet, InvalidToken
from slack_sdk.oauth.installation_store import Bot, Installation, InstallationStore
from slack_sdk.oauth.state_store import OAuthStateStore

from db.installations import (
    InstallationRow,
    consume_oauth_state,
    delete_installation,
    find_installation,
    issue_oauth_state,
    replace_installation,
)
from db.models import Workspace
from db.stores import Stores
from db.workspaces import upsert_workspace, workspace_stored

_SECRETS = ("bot_token", "user_token", "bot_refresh_token", "user_refresh_token")


class TokenCipher:
    """Fernet encryption of tokens; the key comes from SLACK_HELPER_TOKEN_KEY."""

    def __init__(self, key: str):
        try:
            self._fernet = Fernet(key.encode())
        except ValueError as exc:
            raise ValueError(
                "SLACK_HELPER_TOKEN_KEY is not a Fernet key; make one with: python -c "
                '"from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())"'
            ) from exc

    def encrypt(self, value: str | None) -> str | None:
        """Ciphertext of a token (None stays None)."""
        return self._fernet.encrypt(value.encode()).decode() if value else None

    def decrypt(self, value: str | None) -> str | None:
        """The token back; a wrong key is an error, not an empty token."""
        if not value:
            return None
        try:
            return self._fernet.decrypt(value.encode()).decode()
        except InvalidToken as exc:
            raise ValueError("a stored token does not decrypt with SLACK_HELPER_TOKEN_KEY") from exc


class PgInstallationStore(InstallationStore):
    """One row per workspace install (the latest wins), in `installations`."""

    def __init__(self, stores: Stores, cipher: TokenCipher):
        self.stores = stores
        self.cipher = cipher

    @property
    def logger(self) -> Logger:
        """Bolt asks for one."""
        return getLogger(__name__)

    def save(self, installation: Installation) -> None:
        """Store the install (and create the workspace on first install)."""
        workspace_id = installation.team_id or installation.enterprise_id
        if not workspace_id:
            raise ValueError("an installation names neither a team nor an enterprise")
        data = installation.to_dict_for_copying()
        tokens = {key: data.pop(key, None) for key in _SECRETS}
        data.pop("custom_values", None)
        row = InstallationRow(
            installation_id=f"{installation.app_id}:{workspace_id}",
            enterprise_id=installation.enterprise_id,
            app_id=installation.app_id,
            bot_id=installation.bot_id,
            bot_user_id=installation.bot_user_id,
            bot_token_encrypted=self.cipher.encrypt(tokens["bot_token"]),
            user_token_encrypted=self.cipher.encrypt(tokens["user_token"]),
            bot_scopes=list(installation.bot_scopes or []),
            installer_user_id=installation.user_id,
            data=data,
        )
        with self.stores.postgres.tenant(workspace_id) as conn:
            if not workspace_stored(conn):
                name = installation.team_name or workspace_id
                upsert_workspace(conn, Workspace(workspace_id=workspace_id, name=name))
            replace_installation(conn, workspace_id, row, default=_jsonable)

    def save_bot(self, bot: Bot) -> None:
        """Bots are saved with their installation."""

    def find_installation(
        self,
        *,
        enterprise_id: str | None,
        team_id: str | None,
        user_id: str | None = None,
        is_enterprise_install: bool | None = False,
    ) -> Installation | None:
        """The workspace's install with its tokens decrypted, or None."""
        workspace_id = team_id or enterprise_id
        if not workspace_id:
            return None
        with self.stores.postgres.tenant(workspace_id) as conn:
            found = find_installation(conn)
        if found is None:
            return None
        data, bot_token, user_token = found
        return Installation(
            **_restored(data),
            bot_token=self.cipher.decrypt(bot_token),
            user_token=self.cipher.decrypt(user_token),
        )

    def find_bot(
        self,
        *,
        enterprise_id: str | None,
        team_id: str | None,
        is_enterprise_install: bool | None = False,
    ) -> Bot | None:
        """The workspace's bot, or None (no install, or uninstalled)."""
        installation = self.find_installation(enterprise_id=enterprise_id, team_id=team_id)
        return installation.to_bot() if installation and installation.bot_token else None

    def delete_bot(self, *, enterprise_id: str | None, team_id: str | None) -> None:
        """tokens_revoked / app_uninstalled: forget the tokens."""
        self.delete_installation(enterprise_id=enterprise_id, team_id=team_id)

    def delete_installation(
        self, *, enterprise_id: str | None, team_id: str | None, user_id: str | None = None
    ) -> None:
        """Remove the install and its tokens; the workspace's data stays."""
        workspace_id = team_id or enterprise_id
        if not workspace_id:
            return
        with self.stores.postgres.tenant(workspace_id) as conn:
            delete_installation(conn)


class PgOAuthStateStore(OAuthStateStore):
    """OAuth `state` values: issued once, consumed once, expiring."""

    def __init__(self, stores: Stores, expiration_seconds: int = 600):
        self.stores = stores
        self.expiration = timedelta(seconds=expiration_seconds)

    @property
    def logger(self) -> Logger:
        """Bolt asks for one."""
        return getLogger(__name__)

    def issue(self, *args, **kwargs) -> str:
        """A new state value."""
        state = secrets.token_urlsafe(24)
        with self.stores.postgres.pool.connection() as conn:
            issue_oauth_state(conn, state, datetime.now(UTC) + self.expiration)
        return state

    def consume(self, state: str) -> bool:
        """True once for a state that was issued and has not expired."""
        with self.stores.postgres.pool.connection() as conn:
            expires_at = consume_oauth_state(conn, state)
        return expires_at is not None and expires_at > datetime.now(UTC)


def _jsonable(value):
    """Bolt's datetimes as the numbers its constructors take back: installed_at a float,
    the *_expires_at ones whole seconds."""
    if isinstance(value, datetime):
        return value.timestamp()
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def _restored(data: dict) -> dict:
    return {
        key: int(value) if key.endswith("expires_at") and value is not None else value
        for key, value in data.items()
    }
