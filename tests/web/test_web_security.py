"""Login, sessions, CSRF, host and origin checks of the station."""

from __future__ import annotations

import pytest
from _web_util import PASSWORD, client, csrf_of, login

from ecgcore.web import WebSettings, create_app, is_loopback


@pytest.mark.parametrize(
    ("host", "loop"),
    [("127.0.0.1", True), ("localhost", True), ("::1", True), ("127.8.0.1", True),
     ("0.0.0.0", False), ("192.168.1.5", False), ("example.org", False)],
)  # fmt: skip
def test_loopback_detection(host, loop):
    assert is_loopback(host) is loop
    assert WebSettings(host=host).login_required is (not loop)


def test_login_cannot_be_switched_off_when_exposed():
    with pytest.raises(ValueError, match="not a loopback"):
        WebSettings(host="0.0.0.0", require_login=False)


def test_loopback_station_has_a_local_user_without_login(local_client):
    me = local_client.get("/api/me").json()
    assert me["login_required"] is False
    assert me["user"]["name"] == "local" and me["user"]["local"] is True
    assert local_client.get("/logbook").status_code == 200
    assert local_client.get("/login", follow_redirects=False).status_code == 303


def test_exposed_station_requires_login(exposed_app):
    with client(exposed_app, "192.0.2.10") as c:
        r = c.get("/logbook", follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"].startswith("/login?next=")
        assert c.get("/api/log").status_code == 401
        assert c.get("/api/sessions").status_code == 401
        assert c.get("/api/me").json()["user"] is None
        login(c, "tech1")
        assert c.get("/api/log").status_code == 200
        assert c.get("/api/me").json()["user"] == {
            "name": "tech1",
            "role": "technician",
            "local": False,
            "permissions": ["amend", "record", "view"],
        }


def test_wrong_password_and_lockout(exposed_app):
    with client(exposed_app, "192.0.2.10") as c:
        token = csrf_of(c)
        for _ in range(10):
            r = c.post(
                "/login",
                data={"username": "grader1", "password": "nope", "csrf_token": token},
                follow_redirects=False,
            )
            assert r.headers["location"] == "/login?failed=1"
        r = c.post(
            "/login",
            data={"username": "grader1", "password": PASSWORD, "csrf_token": token},
            follow_redirects=False,
        )
        assert r.status_code == 429
        assert c.get("/api/log").status_code == 401


def test_session_cookie_is_httponly_and_samesite_strict(exposed_app):
    with client(exposed_app, "192.0.2.10") as c:
        r = c.get("/api/me")
        cookie = r.headers["set-cookie"].lower()
        assert "httponly" in cookie and "samesite=strict" in cookie
        assert PASSWORD not in r.headers["set-cookie"]


def test_login_form_needs_csrf_and_redirects_only_within_the_station(exposed_app):
    with client(exposed_app, "192.0.2.10") as c:
        r = c.post("/login", data={"username": "tech1", "password": PASSWORD})
        assert r.status_code == 403
        token = csrf_of(c)
        r = c.post(
            "/login",
            data={
                "username": "tech1",
                "password": PASSWORD,
                "csrf_token": token,
                "next": "//evil.example/",
            },
            follow_redirects=False,
        )
        assert r.status_code == 303 and r.headers["location"] == "/"


def test_session_rotates_csrf_token_on_login(exposed_app):
    with client(exposed_app, "192.0.2.10") as c:
        before = csrf_of(c)
        login(c, "tech1")
        assert csrf_of(c) != before


def test_state_changes_need_the_csrf_token_even_on_loopback(local_client):
    body = {"url": "sim://ecg?leads=1&fs=250"}
    token = local_client.headers.pop("X-CSRF-Token")
    assert local_client.post("/api/sessions", json=body).status_code == 403
    wrong = {"X-CSRF-Token": "x" * 43}
    assert local_client.post("/api/sessions", json=body, headers=wrong).status_code == 403
    r = local_client.post("/api/sessions", json=body, headers={"X-CSRF-Token": token})
    assert r.status_code == 201, r.text
    sid = r.json()["id"]
    assert local_client.delete(f"/api/sessions/{sid}").status_code == 403
    r = local_client.delete(f"/api/sessions/{sid}", headers={"X-CSRF-Token": token})
    assert r.status_code == 200


def test_foreign_host_header_is_refused_on_loopback(make_settings):
    app = create_app(make_settings())
    with client(app, "attacker.example") as c:
        assert c.get("/api/me").status_code == 400
    with client(app, "localhost") as c:
        assert c.get("/api/me").status_code == 200


def test_logout_ends_the_session(client_as):
    c = client_as("admin1")
    assert c.get("/api/log").status_code == 200
    r = c.post("/logout", follow_redirects=False)
    assert r.status_code == 303
    assert c.get("/api/log").status_code == 401


def test_pages_send_a_strict_content_security_policy(local_client):
    r = local_client.get("/monitor")
    csp = r.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert r.headers["x-frame-options"] == "DENY"


def test_lockout_is_per_station_and_per_account(exposed_app, make_settings):
    from ecgcore.web import create_app

    with client(exposed_app, "192.0.2.10") as c:
        token = csrf_of(c)
        for _ in range(10):
            c.post("/login", data={"username": "tech1", "password": "x", "csrf_token": token})
        locked = c.post(
            "/login", data={"username": "tech1", "password": PASSWORD, "csrf_token": token}
        )
        assert locked.status_code == 429
        login(c, "admin1")  # another account is not affected
    other = create_app(make_settings(host="192.0.2.10"))
    with client(other, "192.0.2.10") as c:
        login(c, "tech1")  # another station app keeps its own count
