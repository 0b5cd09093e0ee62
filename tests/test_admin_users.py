"""Admins find accounts, export a person's data and delete an account on request; roles."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from spread.extensions import db
from spread.models import AuditEvent, Profile, User
from tests.conftest import PASSWORD
from tests.html import page, selected

API = "/api/v1"
NAME = "Karen Quistgaard"
EMAIL = "karen.quistgaard@example.dk"
TITLE = "Quistgaards borgerpanel"


@pytest.fixture
def people(create_user, create_profile):
    """An admin, a coordinator, and a participant with a profile."""
    person = create_user(name=NAME, email=EMAIL)
    create_profile("giver", owner=person, title=TITLE)
    return {"admin": create_user(role="admin", name="Ada Admin"),
            "coordinator": create_user(role="coordinator"), "person": person}


PAGES = ("/admin/users", "/admin/users/{id}", "/admin/users/{id}/data.json",
         "/admin/users/{id}/delete")


@pytest.mark.parametrize("who", ["coordinator", "person"])
def test_only_admins_reach_the_pages(client, people, login, who):
    login(people[who])
    for url in PAGES:
        assert client.get(url.format(id=people["person"].id)).status_code == 403, url
    response = client.post(f"/admin/users/{people['person'].id}/delete",
                           data={"reason": "Bedt om det"})
    assert response.status_code == 403
    assert client.post(f"/admin/users/{people['person'].id}/role",
                       data={"role": "admin"}).status_code == 403
    assert db.session.get(User, people["person"].id).deleted_at is None
    assert "/admin/users" not in page(client.get("/account"))  # no "Users" in the menu


def test_anonymous_visitors_are_sent_to_log_in(client, people):
    for url in PAGES:
        response = client.get(url.format(id=people["person"].id))
        assert response.status_code == 302 and "/login" in response.headers["Location"]


@pytest.mark.parametrize("who, status", [("coordinator", 403), ("person", 403), (None, 401)])
def test_only_admins_use_the_api(client, people, token_for, who, status):
    headers = token_for(people[who]) if who else {}
    person_id = people["person"].id
    assert client.get(f"{API}/admin/users", headers=headers).status_code == status
    assert client.get(f"{API}/admin/users/{person_id}", headers=headers).status_code == status
    assert client.get(f"{API}/admin/users/{person_id}/data",
                      headers=headers).status_code == status
    assert client.delete(f"{API}/admin/users/{person_id}", json={"reason": "x"},
                         headers=headers).status_code == status
    assert client.put(f"{API}/admin/users/{person_id}/role", json={"role": "admin"},
                      headers=headers).status_code == status
    assert db.session.get(User, person_id).deleted_at is None


def test_admin_lists_and_searches_accounts(client, people, login_en):
    login_en(people["admin"])
    html = page(client.get("/account"))
    assert 'href="/admin/users"' in html and ">Users<" in html
    html = page(client.get("/admin/users"))
    assert NAME in html and people["coordinator"].email in html and "3 accounts" in html
    html = page(client.get("/admin/users?q=quistgaard"))
    assert NAME in html and people["coordinator"].email not in html and "1 account" in html
    html = page(client.get("/admin/users?q=KAREN%20example"))
    assert f'href="/admin/users/{people["person"].id}"' in html
    assert "No accounts match." in page(client.get("/admin/users?q=nobody-here"))


def test_admin_downloads_and_deletes_on_request(client, people, login_en):
    person_id = people["person"].id
    login_en(people["admin"])
    html = page(client.get(f"/admin/users/{person_id}"))
    assert EMAIL in html and "Download data" in html and "Delete account" in html
    response = client.get(f"/admin/users/{person_id}/data.json")
    assert response.status_code == 200
    assert response.headers["Content-Disposition"].startswith("attachment;")
    assert response.json["account"]["email"] == EMAIL
    assert [p["title"] for p in response.json["profiles"]] == [TITLE]

    html = page(client.get(f"/admin/users/{person_id}/delete"))
    assert "This cannot be undone" in html and 'name="reason"' in html
    response = client.post(f"/admin/users/{person_id}/delete", data={"reason": "  "})
    assert response.status_code == 422 and 'aria-invalid="true"' in page(response)
    assert db.session.get(User, person_id).deleted_at is None
    response = client.post(f"/admin/users/{person_id}/delete",
                           data={"reason": f"Asked by email; {NAME} wants out."})
    assert response.status_code == 302
    assert response.headers["Location"] == f"/admin/users/{person_id}"
    html = page(client.get(f"/admin/users/{person_id}"))
    assert "Deleted user" in html and NAME not in html and EMAIL not in html
    assert "Delete account" not in html  # nothing left to delete

    db.session.expire_all()
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "account.deleted"))
    assert event.actor_id == people["admin"].id and event.after == {"user_id": person_id}
    assert event.reason == "Asked by email; [deleted] wants out."
    profile = db.session.scalar(select(Profile).where(Profile.owner_id == person_id))
    assert profile.archived and profile.title == "Deleted profile"
    # Deleting again is harmless.
    assert client.post(f"/admin/users/{person_id}/delete",
                       data={"reason": "Igen"}).status_code == 302
    # The person cannot log in any more.
    client.post("/logout")
    assert client.post("/login", data={"email": EMAIL, "password": PASSWORD}).status_code == 422


def test_deleted_accounts_show_as_deleted_in_the_readers_language(client, people, login_en):
    people["person"].deleted_at = people["person"].created_at
    db.session.commit()
    login_en(people["admin"])
    html = page(client.get("/admin/users"))
    # The name shown comes from the catalogue ("Slettet bruger" in Danish), not the stored name.
    assert "Deleted user" in html and NAME not in html and ">Deleted<" in html


def test_admin_api_exports_lists_and_deletes(client, people, token_for):
    headers = token_for(people["admin"])
    person_id = people["person"].id
    listing = client.get(f"{API}/admin/users?q=quistgaard", headers=headers).json
    assert listing["total"] == 1 and listing["items"][0]["id"] == person_id
    assert "password_hash" not in listing["items"][0]
    response = client.get(f"{API}/admin/users/{person_id}/data", headers=headers)
    assert response.status_code == 200 and response.json["account"]["name"] == NAME
    assert response.headers["Content-Disposition"].startswith("attachment;")
    assert client.get(f"{API}/admin/users/999999/data", headers=headers).status_code == 404
    response = client.delete(f"{API}/admin/users/{person_id}", json={}, headers=headers)
    assert response.status_code == 422 and "reason" in response.json["errors"]
    for _ in range(2):
        response = client.delete(f"{API}/admin/users/{person_id}",
                                 json={"reason": "Anmodning pr. telefon"}, headers=headers)
        assert response.status_code == 204
    account = client.get(f"{API}/admin/users/{person_id}", headers=headers).json
    assert account["name"] == "Deleted user" and account["deleted_at"]
    assert account["email"] == f"deleted-{person_id}@invalid" and account["active"] is False
    events = list(db.session.scalars(select(AuditEvent).where(
        AuditEvent.action == "account.deleted")))
    assert [e.reason for e in events] == ["Anmodning pr. telefon"]


def test_the_last_admin_stays(client, people, token_for, login_en):
    admin = people["admin"]
    headers = token_for(admin)
    response = client.delete(f"{API}/admin/users/{admin.id}", json={"reason": "Farvel"},
                             headers=headers)
    assert response.status_code == 422 and "last admin" in str(response.json["errors"])
    response = client.put(f"{API}/admin/users/{admin.id}/role", json={"role": "participant"},
                          headers=headers)
    assert response.status_code == 422 and "last admin" in str(response.json["errors"])
    login_en(admin)
    response = client.post(f"/admin/users/{admin.id}/delete", data={"reason": "Farvel"})
    assert response.status_code == 422 and "last admin account" in page(response)
    assert db.session.get(User, admin.id).deleted_at is None


def test_an_admin_may_delete_their_own_account_when_another_admin_remains(
        client, people, create_user, login_en):
    create_user(role="admin")
    admin = people["admin"]
    login_en(admin)
    response = client.post(f"/admin/users/{admin.id}/delete", data={"reason": "Jeg stopper"})
    assert response.status_code == 302 and response.headers["Location"] == "/"
    assert client.get("/admin/users").status_code == 302  # logged out
    assert db.session.get(User, admin.id).deleted_at is not None


def test_admin_changes_a_role(client, people, token_for, login_en):
    person_id = people["person"].id
    login_en(people["admin"])
    html = page(client.get(f"/admin/users/{person_id}"))
    assert selected(html, "role") == "participant"
    assert client.post(f"/admin/users/{person_id}/role",
                       data={"role": "wizard"}).status_code == 422
    response = client.post(f"/admin/users/{person_id}/role", data={"role": "coordinator"})
    assert response.status_code == 302
    assert selected(page(client.get(f"/admin/users/{person_id}")), "role") == "coordinator"
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "user.role"))
    assert event.before["role"] == "participant" and event.after["role"] == "coordinator"
    headers = token_for(people["admin"])
    response = client.put(f"{API}/admin/users/{person_id}/role", json={"role": "admin"},
                          headers=headers)
    assert response.status_code == 200 and response.json["role"] == "admin"
    # Now there are two admins: the first may step down.
    response = client.put(f"{API}/admin/users/{people['admin'].id}/role",
                          json={"role": "participant"}, headers=headers)
    assert response.status_code == 200
