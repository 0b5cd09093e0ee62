"""API: registration, tokens, the current user, and the one error shape."""
import pytest

from tests.conftest import PASSWORD


def test_register_then_token_then_me(client):
    response = client.post("/api/v1/auth/register", json={
        "email": "Mette.Hansen@Aarhus.dk", "name": "Mette Hansen", "password": PASSWORD})
    assert response.status_code == 201
    assert response.json["email"] == "mette.hansen@aarhus.dk"
    assert "password" not in response.json and response.json["role"] == "participant"

    token = client.post("/api/v1/auth/tokens", json={
        "email": "mette.hansen@aarhus.dk", "password": PASSWORD}).json["token"]
    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert me.status_code == 200 and me.json["name"] == "Mette Hansen"


def test_duplicate_email_is_a_clear_field_error(client, create_user):
    create_user(email="taken@example.dk")
    response = client.post("/api/v1/auth/register", json={
        "email": "TAKEN@example.dk", "name": "X", "password": PASSWORD},
        headers={"Accept-Language": "en"})
    assert response.status_code == 422
    assert set(response.json) == {"code", "message", "errors"}
    assert "already exists" in response.json["errors"]["email"][0]


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
