import json
import re

import pytest
from django.contrib.staticfiles import finders
from django.test import Client

pytestmark = pytest.mark.django_db

PATHS = {
    "/api/v1/auth/token": {"post", "delete"},
    "/api/v1/cases": {"get", "post"},
    "/api/v1/cases/{number}": {"get"},
    "/api/v1/cases/{number}/messages": {"post"},
    "/api/v1/cases/{number}/notes": {"post"},
    "/api/v1/cases/{number}/status": {"post"},
    "/api/v1/cases/{number}/assign": {"post"},
    "/api/v1/cases/{number}/time": {"post"},
    "/api/v1/queues": {"get"},
    "/api/v1/routing/presence": {"put"},
    "/api/v1/routing/cases/{number}/accept": {"post"},
    "/api/v1/routing/cases/{number}/decline": {"post"},
    "/api/v1/routing/cases/{number}/pick": {"post"},
    "/api/v1/routing/test": {"post"},
    "/api/v1/kb/search": {"get"},
    "/api/v1/assist/ask": {"post"},
    "/api/v1/assist/feedback": {"post"},
    "/api/v1/assist/handoff": {"post"},
    # the app's extras (docs/mobile-api.md)
    "/api/v1/auth/session-token": {"post"},
    "/api/v1/auth/tokens": {"get"},
    "/api/v1/auth/tokens/{token_id}": {"delete"},
    "/api/v1/auth/tokens/revoke-all": {"post"},
    "/api/v1/cases/upload": {"post"},
    "/api/v1/cases/{number}/messages/upload": {"post"},
    "/api/v1/cases/{number}/attachments/{attachment_id}": {"get"},
    "/api/v1/devices": {"get", "post"},
    "/api/v1/devices/{device_id}": {"delete"},
    "/api/v1/feed": {"get"},
    "/api/v1/webhooks": {"get", "post"},
    "/api/v1/webhooks/{webhook_id}": {"delete"},
    "/api/v1/webhooks/{webhook_id}/ping": {"post"},
    "/api/v1/webhooks/{webhook_id}/deliveries": {"get"},
}


@pytest.fixture
def document():
    response = Client().get("/api/v1/openapi.json")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    return json.loads(response.content)


def test_openapi_lists_every_path_and_method(document):
    assert document["openapi"].startswith("3.")
    assert document["info"]["title"] == "Caseway API"
    assert {path: set(ops) for path, ops in document["paths"].items()} == PATHS


def test_every_reference_resolves(document):
    text = json.dumps(document)
    refs = set(re.findall(r'"\$ref": "#/components/schemas/([^"]+)"', text))

    assert refs
    assert refs <= set(document["components"]["schemas"])


def test_both_ways_to_authenticate_are_described(document):
    schemes = document["components"]["securitySchemes"]

    assert schemes["TokenAuth"] == {"type": "http", "scheme": "bearer"}
    assert schemes["SessionAuth"]["in"] == "cookie"
    sign_in = document["paths"]["/api/v1/auth/token"]["post"]
    assert "security" not in sign_in


def test_docs_render_without_any_cdn():
    response = Client().get("/api/v1/docs")

    assert response.status_code == 200
    html = response.content.decode()
    assert "swagger-ui-bundle.js" in html
    assert not re.search(r"https?://(?!127\.0\.0\.1|localhost|testserver)", html)
    for host in ("cdn.", "unpkg", "jsdelivr", "cloudflare"):
        assert host not in html


@pytest.mark.parametrize(
    "asset", ["ninja/swagger-ui-bundle.js", "ninja/swagger-ui.css", "ninja/swagger-ui-init.js"]
)
def test_docs_assets_are_served_from_our_static_files(asset):
    assert finders.find(asset)
