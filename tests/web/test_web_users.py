"""Station accounts: argon2 hashes, roles, the accounts file."""

from __future__ import annotations

import json
import stat

import pytest

from ecgcore.web.users import PERMISSIONS, ROLES, UserError, UserStore


def test_add_authenticate_remove(tmp_path):
    store = UserStore(tmp_path / "cfg" / "users.json")
    store.add("alice", "grader", "s3cret-pass")
    assert store.names() == {"alice": "grader"}
    assert store.authenticate("alice", "s3cret-pass").role == "grader"
    assert store.authenticate("alice", "wrong-pass") is None
    assert store.authenticate("nobody", "s3cret-pass") is None
    store.remove("alice")
    assert store.get("alice") is None
    with pytest.raises(UserError, match="no user"):
        store.remove("alice")


def test_file_holds_only_argon2_hashes_with_private_mode(tmp_path):
    path = tmp_path / "users.json"
    UserStore(path).add("bob", "technician", "hunter2-hunter2")
    text = path.read_text()
    assert "hunter2" not in text
    doc = json.loads(text)
    assert doc["users"]["bob"]["hash"].startswith("$argon2id$")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


@pytest.mark.parametrize(
    ("name", "role", "password", "match"),
    [
        ("../evil", "admin", "longenough", "user name"),
        ("", "admin", "longenough", "user name"),
        ("carol", "superuser", "longenough", "role"),
        ("carol", "admin", "short", "at least 8"),
    ],
)
def test_bad_accounts_are_refused(tmp_path, name, role, password, match):
    with pytest.raises(UserError, match=match):
        UserStore(tmp_path / "u.json").add(name, role, password)


def test_existing_account_needs_replace(tmp_path):
    store = UserStore(tmp_path / "u.json")
    store.add("dave", "technician", "password-1")
    with pytest.raises(UserError, match="exists"):
        store.add("dave", "admin", "password-2")
    store.add("dave", "admin", "password-2", replace=True)
    assert store.authenticate("dave", "password-2").role == "admin"
    assert store.authenticate("dave", "password-1") is None


def test_malformed_file_is_an_error_naming_it(tmp_path):
    path = tmp_path / "u.json"
    path.write_text('{"users": {"x": {"role": "root", "hash": "h"}}}')
    with pytest.raises(UserError, match="malformed accounts file"):
        UserStore(path).get("x")


def test_roles_separate_amending_from_grading():
    assert set(PERMISSIONS) == set(ROLES)
    assert "amend" in PERMISSIONS["technician"] and "grade" not in PERMISSIONS["technician"]
    assert "grade" in PERMISSIONS["grader"] and "amend" not in PERMISSIONS["grader"]
    assert {"amend", "grade", "record"} <= PERMISSIONS["admin"]
