"""Settings from the environment: a value the service cannot run with is refused, naming the
variable and what it must be, before anything starts."""

from __future__ import annotations

import pytest

from marketplace.config import ConfigurationError, Settings


@pytest.mark.parametrize(
    ("variable", "value", "must_be"),
    [
        ("MARKETPLACE_PROJECTION_BATCH_SIZE", "0", "a whole number of events, 1 or more"),
        ("MARKETPLACE_PROJECTION_BATCH_SIZE", "-5", "a whole number of events, 1 or more"),
        ("MARKETPLACE_PROJECTION_BATCH_SIZE", "2.5", "a whole number of events, 1 or more"),
        ("MARKETPLACE_PROJECTION_POLL_SECONDS", "-1", "a number of seconds, 0.01 or more"),
        ("MARKETPLACE_PROJECTION_POLL_SECONDS", "0", "a number of seconds, 0.01 or more"),
        ("MARKETPLACE_READ_WAIT_SECONDS", "abc", "a number of seconds, 0 or more"),
        ("MARKETPLACE_READ_WAIT_SECONDS", "nan", "a number of seconds, 0 or more"),
        ("MARKETPLACE_MAX_BODY_BYTES", "1e6", "a whole number of bytes, 1 or more"),
        ("MARKETPLACE_SEARCH_CACHE_MB", "-1", "a whole number of megabytes, 0 or more"),
    ],
)
def test_a_number_setting_out_of_its_range_is_refused_naming_it(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str, must_be: str
) -> None:
    monkeypatch.setenv(variable, value)

    with pytest.raises(ConfigurationError) as refusal:
        Settings.from_env("/srv/marketplace")

    assert str(refusal.value).startswith(f"{variable} must be {must_be}, not ")


@pytest.mark.parametrize("url", ["garbage", "mysql://root@localhost/db", "://"])
def test_a_database_url_of_neither_kind_is_refused_naming_both(
    monkeypatch: pytest.MonkeyPatch, url: str
) -> None:
    monkeypatch.setenv("MARKETPLACE_DATABASE_URL", url)

    with pytest.raises(ConfigurationError, match="MARKETPLACE_DATABASE_URL must be sqlite"):
        Settings.from_env("/srv/marketplace")


def test_the_defaults_and_values_in_range_are_taken(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MARKETPLACE_DATABASE_URL", raising=False)
    monkeypatch.setenv("MARKETPLACE_PROJECTION_BATCH_SIZE", "1")
    monkeypatch.setenv("MARKETPLACE_READ_WAIT_SECONDS", "0")

    settings = Settings.from_env("/srv/marketplace")

    assert settings.database_url == "sqlite:////srv/marketplace/marketplace.sqlite3"
    assert (settings.projection_batch_size, settings.read_wait_seconds) == (1, 0.0)


def test_a_log_format_other_than_text_or_json_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MARKETPLACE_LOG_FORMAT", "xml")

    with pytest.raises(ConfigurationError, match="MARKETPLACE_LOG_FORMAT must be text or json"):
        Settings.from_env("/srv/marketplace")
