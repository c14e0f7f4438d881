"""Settings are checked at start-up with one clear line per problem, and never echo secrets."""

from __future__ import annotations

import pytest

from bot.secrets import new_key
from bot.settings import SettingsError, check_settings, load_settings


def test_serve_lists_every_missing_setting() -> None:
    settings = load_settings()
    with pytest.raises(SettingsError) as caught:
        check_settings(settings, "serve")
    text = str(caught.value)
    for name in ("SLACK_BOT_TOKEN", "TEAMS_APP_ID", "QUANTIVE_API_TOKEN", "QUANTIVE_ACCOUNT_ID"):
        assert name in text


def test_half_a_slack_configuration_names_the_rest(monkeypatch) -> None:
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-1")
    with pytest.raises(SettingsError) as caught:
        check_settings(load_settings(), "serve")
    text = str(caught.value)
    assert "SLACK_SIGNING_SECRET" in text and "BADGE_APPROVERS" in text
    assert "TEAMS_" not in text  # Teams is simply not run


def test_teams_alone_needs_its_registration_and_approvers(monkeypatch) -> None:
    monkeypatch.setenv("QUANTIVE_API_TOKEN", "q")
    monkeypatch.setenv("QUANTIVE_ACCOUNT_ID", "a")
    monkeypatch.setenv("TEAMS_APP_ID", "app")
    with pytest.raises(SettingsError) as caught:
        check_settings(load_settings(), "serve")
    text = str(caught.value)
    assert "TEAMS_APP_PASSWORD" in text and "TEAMS_TENANT_ID" in text
    assert "TEAMS_APPROVERS" in text and "SLACK_" not in text
    monkeypatch.setenv("TEAMS_APP_PASSWORD", "p")
    monkeypatch.setenv("TEAMS_TENANT_ID", "t")
    monkeypatch.setenv("TEAMS_APPROVERS", "hr@example.com")
    check_settings(load_settings(), "serve")  # Slack is not needed for a Teams-only bot


def test_complete_settings_pass(monkeypatch) -> None:
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-1")
    monkeypatch.setenv("SLACK_SIGNING_SECRET", "s")
    monkeypatch.setenv("QUANTIVE_API_TOKEN", "q")
    monkeypatch.setenv("QUANTIVE_ACCOUNT_ID", "a")
    monkeypatch.setenv("BADGE_APPROVERS", "U1, U2")
    settings = load_settings()
    check_settings(settings, "serve")
    assert settings.badge_approvers == ["U1", "U2"]


def test_bad_values_are_explained_without_echoing_secrets(monkeypatch) -> None:
    monkeypatch.setenv("SLACK_BOT_TOKEN", "not-a-token-SECRET123")
    monkeypatch.setenv("DIGEST_TIME", "25:00")
    monkeypatch.setenv("DIGEST_TIMEZONE", "Mars/Olympus")
    monkeypatch.setenv("BADGE_APPROVERS", "maria")
    with pytest.raises(SettingsError) as caught:
        check_settings(load_settings(), "digest")
    text = str(caught.value)
    assert "xoxb-" in text and "SECRET123" not in text
    assert "DIGEST_TIME" in text and "DIGEST_TIMEZONE" in text and "BADGE_APPROVERS" in text


def test_the_authorize_url_must_be_a_web_address(monkeypatch) -> None:
    assert load_settings().slack_authorize_url == "https://slack.com/oauth/v2/authorize"
    monkeypatch.setenv("SLACK_AUTHORIZE_URL", "slack.com/oauth/v2/authorize")
    with pytest.raises(SettingsError) as caught:
        check_settings(load_settings(), "playground")
    assert "SLACK_AUTHORIZE_URL must start with http:// or https://." in str(caught.value)


def test_the_graph_url_must_be_a_web_address(monkeypatch) -> None:
    assert load_settings().teams_graph_url == "https://graph.microsoft.com/v1.0"
    monkeypatch.setenv("TEAMS_GRAPH_URL", "graph.microsoft.com/v1.0")
    with pytest.raises(SettingsError) as caught:
        check_settings(load_settings(), "playground")
    assert "TEAMS_GRAPH_URL must start with http:// or https://." in str(caught.value)


def test_invalid_types_become_readable_lines(monkeypatch) -> None:
    monkeypatch.setenv("PORT", "http")
    with pytest.raises(SettingsError, match="PORT"):
        load_settings()


def test_serve_command_exits_2_with_reasons(capsys) -> None:
    from bot.__main__ import main

    assert main(["serve"]) == 2
    assert "SLACK_SIGNING_SECRET" in capsys.readouterr().err


def test_socket_mode_needs_an_app_token(capsys, monkeypatch) -> None:
    from bot.__main__ import main

    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-1")
    monkeypatch.setenv("SLACK_APP_TOKEN", "xoxb-wrong-kind")
    assert main(["socket"]) == 2
    err = capsys.readouterr().err
    assert "SLACK_APP_TOKEN must be an app-level token" in err and "xoxb-wrong-kind" not in err


def test_stale_outbox_window_must_exceed_the_quantive_timeout(monkeypatch) -> None:
    monkeypatch.setenv("QUANTIVE_TIMEOUT", "30")
    monkeypatch.setenv("OUTBOX_STALE_SECONDS", "20")
    with pytest.raises(SettingsError, match="OUTBOX_STALE_SECONDS"):
        check_settings(load_settings(), "serve")


def test_make_run_names_what_the_real_bot_still_needs(monkeypatch) -> None:
    from bot.cli.serving import playground_reason as _playground_reason

    assert "No Slack, Teams or Quantive settings" in _playground_reason(load_settings())
    monkeypatch.setenv("TEAMS_APP_ID", "app")
    monkeypatch.setenv("QUANTIVE_API_TOKEN", "q")
    reason = _playground_reason(load_settings())
    assert reason.startswith("Found QUANTIVE_API_TOKEN, TEAMS_APP_ID, but the real bot also")
    for name in ("QUANTIVE_ACCOUNT_ID", "TEAMS_APP_PASSWORD", "TEAMS_TENANT_ID", "TEAMS_APPROVERS"):
        assert name in reason
    assert "SLACK_" not in reason  # a Teams-only bot needs no Slack settings


def test_distribution_needs_its_oauth_settings_and_a_valid_key(monkeypatch) -> None:
    monkeypatch.setenv("SLACK_CLIENT_ID", "1111.2222")
    monkeypatch.setenv("SLACK_SIGNING_SECRET", "s")
    with pytest.raises(SettingsError) as caught:
        check_settings(load_settings(), "serve")
    text = str(caught.value)
    for name in ("SLACK_CLIENT_SECRET", "PUBLIC_URL", "BADGEBOT_SECRET_KEY"):
        assert name in text
    # Each workspace has its own Quantive and approvers: none of these is asked for.
    for name in ("QUANTIVE_API_TOKEN", "QUANTIVE_ACCOUNT_ID", "BADGE_APPROVERS", "SLACK_BOT_TOKEN"):
        assert name not in text
    monkeypatch.setenv("BADGEBOT_SECRET_KEY", "not-a-fernet-key-SECRET")
    monkeypatch.setenv("SLACK_CLIENT_SECRET", "c")
    monkeypatch.setenv("PUBLIC_URL", "https://badgebot.example.com")
    with pytest.raises(SettingsError) as caught:
        check_settings(load_settings(), "serve")
    assert str(caught.value) == (
        "BADGEBOT_SECRET_KEY is not a valid key: run `python -m bot secret-key` and set the "
        "line it prints."
    )
    assert "not-a-fernet" not in str(caught.value)  # the value itself is never echoed
    monkeypatch.setenv("BADGEBOT_SECRET_KEY", new_key())
    settings = load_settings()
    check_settings(settings, "serve")
    assert settings.slack_distributed and settings.distributed


def test_socket_mode_serves_one_workspace_only(monkeypatch) -> None:
    monkeypatch.setenv("SLACK_CLIENT_ID", "1111.2222")
    monkeypatch.setenv("BADGEBOT_SECRET_KEY", new_key())
    with pytest.raises(SettingsError) as caught:
        check_settings(load_settings(), "socket")
    assert "Socket Mode serves one workspace" in str(caught.value)


def test_serve_refuses_distribution_without_a_key(monkeypatch, capsys) -> None:
    from bot.cli import main

    monkeypatch.setenv("SLACK_CLIENT_ID", "1111.2222")
    monkeypatch.setenv("SLACK_CLIENT_SECRET", "c")
    monkeypatch.setenv("SLACK_SIGNING_SECRET", "s")
    monkeypatch.setenv("PUBLIC_URL", "https://badgebot.example.com")
    assert main(["serve"]) == 2
    assert "BADGEBOT_SECRET_KEY is not set" in capsys.readouterr().err
