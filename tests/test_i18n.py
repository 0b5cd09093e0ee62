"""Danish and English: the catalogue is complete and current, and pages follow the chosen language."""
import subprocess
import sys
from pathlib import Path

from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
PO = ROOT / "spread" / "translations" / "da" / "LC_MESSAGES" / "messages.po"


def _catalog(path: Path):
    with path.open("rb") as handle:
        return read_po(handle)


def test_every_string_in_the_code_is_in_the_danish_catalogue(tmp_path):
    pot = tmp_path / "messages.pot"
    subprocess.run([sys.executable, "-m", "babel.messages.frontend", "-q", "extract",
                    "-F", "babel.cfg", "-k", "_l", "-k", "N_", "-o", str(pot), "."],
                   cwd=ROOT, check=True)
    extracted = {m.id if isinstance(m.id, str) else m.id[0] for m in _catalog(pot) if m.id}
    translated = {m.id if isinstance(m.id, str) else m.id[0] for m in _catalog(PO) if m.id}
    missing = sorted(extracted - translated)
    assert not missing, f"not in messages.po (run pybabel update): {missing[:20]}"


def test_the_danish_catalogue_has_no_gaps():
    gaps = [m.id for m in _catalog(PO) if m.id and (
        m.fuzzy or not (m.string if isinstance(m.string, str) else all(m.string)))]
    assert not gaps, f"untranslated or fuzzy: {gaps[:20]}"


def test_pages_follow_the_browser_then_the_choice(client):
    danish = client.get("/", headers={"Accept-Language": "da"}).get_data(as_text=True)
    assert 'lang="da"' in danish and "Log ind" in danish
    english = client.get("/", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert 'lang="en"' in english and "Log in" in english
    client.get("/language/da")
    chosen = client.get("/", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "Log ind" in chosen


def test_api_messages_are_translated(client):
    response = client.post("/api/v1/auth/register", json={"email": "x"},
                           headers={"Accept-Language": "da"})
    assert response.status_code == 422
    assert response.json["errors"]["name"] == ["Feltet skal udfyldes."]


def test_language_switch_only_redirects_within_the_site(client):
    response = client.get("/language/en?next=https://evil.example/")
    assert response.status_code == 302 and response.headers["Location"] == "/"
    response = client.get("/language/xx?next=/profiles")
    assert response.headers["Location"] == "/profiles"
