"""Every page and API answer carries the security headers."""
import pytest


@pytest.mark.parametrize("path", ["/", "/login", "/api/openapi.json", "/api/v1/me", "/nowhere"])
def test_security_headers(client, path):
    headers = client.get(path).headers
    csp = headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert "unsafe-inline" not in csp.split("script-src")[1].split(";")[0]
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert "Strict-Transport-Security" not in headers


def test_https_deployments_get_hsts_and_secure_cookies(make_app, create_user):
    from tests.conftest import PASSWORD

    app = make_app(SPREAD_HTTPS=True, SESSION_COOKIE_SECURE=True)
    client = app.test_client()
    user = create_user()
    response = client.post("/login", data={"email": user.email, "password": PASSWORD})
    assert "Strict-Transport-Security" in response.headers
    assert "Secure" in response.headers["Set-Cookie"] and "HttpOnly" in response.headers["Set-Cookie"]
    assert "SameSite=Lax" in response.headers["Set-Cookie"]
