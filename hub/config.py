"""Settings, read from the environment (prefix `MSIX_`) by a factory and passed in.

There is no module-level instance: `create_app(settings)` and the CLI build one with
`load_settings()`, tests build their own `Settings(...)`.
"""

from __future__ import annotations

import contextlib
import os
import secrets
from pathlib import Path
from typing import Self

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from hub.errors import ConfigurationError, IssueCode, error

# A secret this short or one of these literals is refused outside demo mode.
_MIN_SECRET_LENGTH = 32
_KNOWN_BAD_SECRETS = frozenset({"", "changeme", "secret", "change-me", "demo", "test"})


class Settings(BaseSettings):
    """Every knob of the hub. Field names map to `MSIX_<NAME>` environment variables."""

    model_config = SettingsConfigDict(env_prefix="MSIX_", extra="ignore", frozen=True)

    data_dir: Path = Field(Path("./var"), description="Embedded store and local files")
    mongodb_uri: str | None = Field(None, description="Real MongoDB; unset = embedded engine")
    database: str = Field("msix", description="Database name")
    secret_key: SecretStr = Field(SecretStr(""), description="Signs access tokens and sessions")
    demo: bool = Field(False, description="Demo mode: permits a generated secret")
    token_issuer: str = "msix-hub"  # noqa: S105 - an issuer name, not a secret
    access_token_minutes: int = Field(15, ge=1, le=60)
    client_assertion_max_minutes: int = Field(5, ge=1, le=60)
    max_request_bytes: int = Field(10 * 1024 * 1024, ge=1024)
    max_xml_bytes: int = Field(2 * 1024 * 1024, ge=1024)
    max_upload_bytes: int = Field(200 * 1024 * 1024, ge=1024)
    login_max_failures: int = Field(5, ge=1)
    login_lockout_minutes: int = Field(30, ge=1)
    rules_of_behaviour_days: int = Field(365, ge=1)
    identity_weights: Path | None = Field(
        None, description="Match weights from `msix identity train` (default: the packaged ones)"
    )
    worklist_escalation_days: int = Field(
        5, ge=1, description="Days a worklist item waits at one level before it escalates"
    )
    push_interval_seconds: float = Field(
        5.0, ge=0, description="Seconds between push delivery rounds in each app process; 0: off"
    )
    push_max_attempts: int = Field(3, ge=1, description="Push attempts before a dead letter")
    housekeeping_minutes: float = Field(
        15,
        ge=0,
        description="Minutes between worklist escalation/notice rounds per process; 0: off",
    )
    export_retention_hours: float = Field(
        24, gt=0, description="Hours a finished $export's files are kept before deletion"
    )
    smtp_host: str | None = Field(None, description="SMTP server for worklist notices; unset: none")
    smtp_port: int = Field(25, ge=1, le=65535)
    smtp_starttls: bool = Field(False, description="Upgrade the SMTP connection with STARTTLS")
    smtp_username: str | None = Field(None, description="SMTP login, when the server wants one")
    smtp_password: SecretStr = Field(SecretStr(""))
    mail_from: str = Field("MSIX Hub <msix-hub@localhost>", description="From: of notices")

    @model_validator(mode="after")
    def _refuse_weak_secret(self) -> Self:
        secret = self.secret_key.get_secret_value()
        if self.demo:
            return self
        if secret.lower() in _KNOWN_BAD_SECRETS or len(secret) < _MIN_SECRET_LENGTH:
            raise ValueError(
                f"MSIX_SECRET_KEY must be set to at least {_MIN_SECRET_LENGTH} random characters "
                "(or run in demo mode with MSIX_DEMO=1)"
            )
        return self

    @property
    def embedded_dir(self) -> Path:
        return self.data_dir / "store"

    @property
    def uses_embedded_store(self) -> bool:
        return not self.mongodb_uri


def load_settings(**overrides: object) -> Settings:
    """Build settings from the environment plus explicit overrides; a bad value stops start-up."""
    from pydantic import ValidationError as PydanticValidationError

    try:
        return ensure_secret(Settings(**overrides))  # type: ignore[arg-type]
    except PydanticValidationError as exc:
        issues = [
            error(IssueCode.INVALID, str(e["msg"]), ".".join(str(p) for p in e["loc"]) or None)
            for e in exc.errors()
        ]
        raise ConfigurationError(issues) from exc


def ensure_secret(settings: Settings) -> Settings:
    """In demo mode without a secret, use one generated once and kept in the data dir.

    Kept on disk (mode 0600) rather than per process so that several workers, and restarts,
    accept each other's tokens.
    """
    if settings.secret_key.get_secret_value() or not settings.demo:
        return settings
    path = settings.data_dir / "demo-secret.key"
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        # Write aside, then link into place: atomic, and a racing process keeps the first one.
        draft = path.with_name(f".{path.name}.{secrets.token_hex(8)}")
        draft.write_text(secrets.token_urlsafe(48), encoding="ascii")
        draft.chmod(0o600)
        with contextlib.suppress(FileExistsError):
            os.link(draft, path)
        draft.unlink()
    secret = path.read_text(encoding="ascii").strip()
    return settings.model_copy(update={"secret_key": SecretStr(secret)})
