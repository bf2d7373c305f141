from __future__ import annotations

from pathlib import Path

import pytest

from hub.config import Settings, ensure_secret, load_settings
from hub.errors import ConfigurationError


def test_an_empty_secret_is_refused_outside_demo_mode(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MSIX_SECRET_KEY", raising=False)
    monkeypatch.delenv("MSIX_DEMO", raising=False)
    with pytest.raises(ConfigurationError, match="MSIX_SECRET_KEY"):
        load_settings()


@pytest.mark.parametrize("secret", ["changeme", "secret", "short-but-not-empty"])
def test_a_default_or_short_secret_is_refused(secret: str) -> None:
    with pytest.raises(ConfigurationError):
        load_settings(secret_key=secret)


def test_settings_come_from_msix_environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("MSIX_SECRET_KEY", "k" * 40)
    monkeypatch.setenv("MSIX_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("MSIX_MAX_XML_BYTES", "4096")
    settings = load_settings()
    assert settings.data_dir == tmp_path
    assert settings.max_xml_bytes == 4096
    assert settings.uses_embedded_store


def test_demo_mode_generates_one_secret_shared_by_every_process(tmp_path: Path) -> None:
    first = ensure_secret(Settings(demo=True, data_dir=tmp_path))
    second = ensure_secret(Settings(demo=True, data_dir=tmp_path))
    secret = first.secret_key.get_secret_value()
    assert len(secret) >= 32
    assert second.secret_key.get_secret_value() == secret
    assert (tmp_path / "demo-secret.key").stat().st_mode & 0o777 == 0o600
