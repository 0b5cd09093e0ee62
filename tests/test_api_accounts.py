"""API: registration, tokens, the current user, and the one error shape."""
import pytest

from tests.conftest import PASSWORD
from tests.mailbox import confirmation_path

ENGLISH = {"Accept-Language": "en"}


def test_register_confirm_then_token_then_me(client):
    response = client.post("/api/v1/auth/register", json={
        "email": "Mette.Hansen@Aarhus.dk", "name": "Mette Hansen", "password": PASSWORD},
        headers=ENGLISH)
    assert response.status_code == 202
    assert "mette.hansen@aarhus.dk" in response.json["message"].lower()
    credentials = {"email": "mette.hansen@aarhus.dk", "password": PASSWORD}
    unconfirmed = client.post("/api/v1/auth/tokens", json=credentials, headers=ENGLISH)
    assert unconfirmed.status_code == 403
    assert "Confirm your email address" in unconfirmed.json["message"]

    assert client.get(confirmation_path("mette.hansen@aarhus.dk")).status_code == 302
    token = client.post("/api/v1/auth/tokens", json=credentials).json["token"]
    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert me.status_code == 200 and me.json["name"] == "Mette Hansen"
    assert me.json["role"] == "participant" and "password" not in me.json


def test_registering_a_taken_address_answers_exactly_like_a_new_one(client, create_user):
    create_user(email="taken@example.dk")
    taken = client.post("/api/v1/auth/register", json={
        "email": "TAKEN@example.dk", "name": "X Y", "password": PASSWORD}, headers=ENGLISH)
    fresh = client.post("/api/v1/auth/register", json={
        "email": "fresh@example.dk", "name": "X Y", "password": PASSWORD}, headers=ENGLISH)
    assert taken.status_code == fresh.status_code == 202
    assert taken.json["message"].replace("TAKEN", "fresh") == fresh.json["message"]


@pytest.mark.parametrize("payload, field", [
    ({"email": "not-an-email", "name": "X", "password": PASSWORD}, "email"),
    ({"email": "a@b.dk", "name": "", "password": PASSWORD}, "name"),
    ({"email": "a@b.dk", "name": "X", "password": "short"}, "password"),
    ({"email": "a@b.dk", "name": "X", "password": PASSWORD, "role": "admin"}, "role"),
    ({"name": "X", "password": PASSWORD}, "email"),
])
def test_bad_registration_is_422_with_field_messages(client, payload, field):
    response = client.post("/api/v1/auth/register", json=payload)
    assert response.status_code == 422
    assert response.json["code"] == 422 and field in response.json["errors"]


def test_wrong_password_gives_no_token(client, create_user):
    user = create_user()
    english = {"Accept-Language": "en"}
    response = client.post("/api/v1/auth/tokens", json={"email": user.email, "password": "nope"},
                           headers=english)
    assert response.status_code == 401
    assert response.json["message"] == "Wrong email or password."
    response = client.post("/api/v1/auth/tokens",
                           json={"email": "nobody@example.dk", "password": "nope"},
                           headers=english)
    assert response.status_code == 401
    assert response.json["message"] == "Wrong email or password."


def test_anonymous_and_bad_token_are_401(client):
    assert client.get("/api/v1/me").status_code == 401
    response = client.get("/api/v1/me", headers={"Authorization": "Bearer forged"})
    assert response.status_code == 401 and response.json["code"] == 401


def test_malformed_json_is_a_clear_error(client):
    response = client.post("/api/v1/auth/register", data="{not json",
                           content_type="application/json")
    assert response.status_code in (400, 422)
    assert set(response.json) == {"code", "message", "errors"}


def test_session_writes_to_the_api_need_the_csrf_token(make_app, create_user):
    app = make_app(WTF_CSRF_ENABLED=True)
    client = app.test_client()
    user = create_user()
    page = client.get("/login").get_data(as_text=True)
    csrf = page.split('name="csrf_token" value="')[1].split('"')[0]
    assert client.post("/login", data={"email": user.email, "password": PASSWORD,
                                       "csrf_token": csrf}).status_code == 302
    body = {"name": "Region Sjælland", "kind": "region", "region": "sjaelland"}
    assert client.post("/api/v1/organisations/", json=body).status_code == 400
    response = client.post("/api/v1/organisations/", json=body, headers={"X-CSRFToken": csrf})
    assert response.status_code == 201
