"""Settings: defaults, validation, the generated secret."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from app.core.config import ConfigurationError, Settings


def test_secret_key_is_generated_once_and_kept_private(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, secret_key="")
    first = settings.resolved_secret_key()
    assert len(first) >= 32
    assert Settings(data_dir=tmp_path, secret_key="").resolved_secret_key() == first
    mode = stat.S_IMODE((tmp_path / "secret_key").stat().st_mode)
    assert mode == 0o600


def test_short_secret_key_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError):
        Settings(data_dir=tmp_path, secret_key="too-short").resolved_secret_key()


def test_defaults_follow_the_design(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, database_url="")
    assert (settings.min_group, settings.max_upload_mb, settings.response_target_days) == (5, 20, 14)
    assert settings.auth_mode == "local" and settings.search_backend == "whoosh"
    assert settings.effective_database_url == f"sqlite:///{(tmp_path / 'portal.db').resolve()}"


def test_postgres_urls_use_psycopg(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, database_url="postgresql://u@db/portal")
    assert settings.database_url == "postgresql+psycopg://u@db/portal" and settings.is_postgres


@pytest.mark.parametrize(
    "field,value", [("min_group", 2), ("max_upload_mb", 0), ("trusted_proxies", "not-an-ip")]
)
def test_unusable_values_are_refused(tmp_path: Path, field: str, value: object) -> None:
    with pytest.raises(ValueError):
        Settings(data_dir=tmp_path, **{field: value})  # type: ignore[arg-type]


def test_postgres_search_backend_needs_a_postgres_database(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="needs PORTAL_DATABASE_URL to be a PostgreSQL database"):
        Settings(data_dir=tmp_path, database_url=f"sqlite:///{tmp_path}/p.db", search_backend="postgres")
    settings = Settings(data_dir=tmp_path, database_url="postgresql://u@db/p", search_backend="postgres")
    assert settings.search_backend == "postgres"


def test_the_kept_secret_is_read_from_disk_once(tmp_path: Path) -> None:
    """Every form on a page signs a CSRF token with the key: it is read once, not per token."""
    settings = Settings(data_dir=tmp_path, secret_key="")
    first = settings.resolved_secret_key()
    assert (tmp_path / "secret_key").read_text().strip() == first
    (tmp_path / "secret_key").write_text("changed-on-disk-while-running-" + "x" * 20)
    assert settings.resolved_secret_key() == first
    assert Settings(data_dir=tmp_path, secret_key="").resolved_secret_key().startswith("changed-on-disk")
