from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hub.config import Settings
from hub.store import Store

NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)


def test_an_assertion_id_is_accepted_once_until_it_expires(store: Store) -> None:
    expires = NOW + timedelta(minutes=5)
    assert store.call(store.assertions.remember, "tx-vendor:jti-1", expires_at=expires, now=NOW)
    replay = store.call(store.assertions.remember, "tx-vendor:jti-1", expires_at=expires, now=NOW)
    assert replay is False
    later = expires + timedelta(seconds=1)
    assert store.call(
        store.assertions.remember,
        "tx-vendor:jti-1",
        expires_at=later + timedelta(minutes=5),
        now=later,
    )


def test_a_replay_to_another_process_on_the_same_data_dir_is_refused(settings: Settings) -> None:
    first, second = Store(settings), Store(settings)
    try:
        expires = NOW + timedelta(minutes=5)
        assert first.call(first.assertions.remember, "c:j", expires_at=expires, now=NOW)
        assert not second.call(second.assertions.remember, "c:j", expires_at=expires, now=NOW)
    finally:
        first.close()
        second.close()
