"""The alerts page: open alerts first, recent resolved ones, filters, acknowledge through the
server's command table, read-only accounts refused, hostile node text rendered as text."""

from __future__ import annotations

from pathlib import Path

from rempart.alerting.values import Alert, AlertKey
from rempart.store.alerts import SqliteAlertStore
from tests.web.harness import T0, WebEnv, login, run_sync, web_env

HOSTILE = '<script>alert("x")</script> disk "/srv"'


def seed(env: WebEnv) -> list[Alert]:
    alerts = [
        Alert(
            0,
            AlertKey("threshold", "web1", "df", "_srv"),
            "Gandi",
            "critical",
            "firing",
            since=T0 - 3600,
            fired_at=T0 - 3000,
            value=97.5,
            title=HOSTILE,
            detail="95",
        ),
        Alert(
            0,
            AlertKey("unreachable", "vm3"),
            "TTN",
            "warning",
            "firing",
            since=T0 - 900,
            fired_at=T0 - 600,
        ),
        Alert(
            0,
            AlertKey("threshold", "web1", "load", "load"),
            "Gandi",
            "warning",
            "resolved",
            since=T0 - 5 * 86400,
            fired_at=T0 - 5 * 86400,
            resolved_at=T0 - 4 * 86400,
        ),
        Alert(
            0,
            AlertKey("threshold", "mail", "load", "load"),
            "Gandi",
            "warning",
            "resolved",
            since=T0 - 30 * 86400,
            fired_at=T0 - 30 * 86400,
            resolved_at=T0 - 29 * 86400,
        ),
    ]
    return run_sync(env.server.writer.run(lambda db: SqliteAlertStore(db).save_alerts(alerts)))


def test_open_alerts_first_then_recent_resolved(tmp_path: Path) -> None:
    with web_env(tmp_path) as env, env.client() as client:
        saved = seed(env)
        login(client, env)
        text = client.get("/alerts").text
        firing, resolved = text.index('data-testid="firing"'), text.index('data-testid="resolved"')
        assert firing < text.index(f'data-testid="alert-{saved[0].id}"') < resolved
        assert text.index(f'data-testid="alert-{saved[0].id}"') < text.index(
            f'data-testid="alert-{saved[1].id}"'
        )  # critical first
        assert f'data-testid="alert-{saved[2].id}"' in text
        assert f'data-testid="alert-{saved[3].id}"' not in text  # resolved 29 days ago
        assert f'data-testid="alert-{saved[3].id}"' in client.get("/alerts?days=40").text
        assert "<script>alert" not in text
        assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in text
        only = client.get("/alerts?host=vm3&severity=warning").text
        assert f'data-testid="alert-{saved[1].id}"' in only
        assert f'data-testid="alert-{saved[0].id}"' not in only


def test_acknowledge_goes_through_the_server_command(tmp_path: Path) -> None:
    with web_env(tmp_path) as env, env.client() as client:
        saved = seed(env)
        csrf = login(client, env, "alice")
        answer = client.post(f"/alerts/{saved[0].id}/ack", data={"csrf": csrf})
        assert answer.status_code == 303
        assert answer.headers["location"] == f"/alerts?done={saved[0].id}"
        stored = run_sync(env.server.writer.run(lambda db: SqliteAlertStore(db).open_alerts()))
        acked = next(a for a in stored if a.id == saved[0].id)
        assert acked.ack_by == "web:alice"
        page = client.get(answer.headers["location"]).text
        assert f'data-testid="acked-{saved[0].id}"' in page
        unknown = client.post("/alerts/99999/ack", data={"csrf": csrf})
        assert unknown.status_code == 303
        assert "problem=" in unknown.headers["location"]


def test_readers_see_alerts_but_cannot_acknowledge(tmp_path: Path) -> None:
    with web_env(tmp_path) as env, env.client() as client:
        saved = seed(env)
        csrf = login(client, env, "bob", role="reader")
        text = client.get("/alerts").text
        assert f'data-testid="ack-{saved[0].id}"' not in text
        assert client.post(f"/alerts/{saved[0].id}/ack", data={"csrf": csrf}).status_code == 403
