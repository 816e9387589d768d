from __future__ import annotations


def test_start_page_renders(client):
    response = client.get("/")
    assert response.status_code == 200
    assert "Register your organisation" in response.get_data(as_text=True)
