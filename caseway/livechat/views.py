"""HTTP beside the websocket: the widget's file upload (a websocket frame is no place for a
10 MB file). The session token is the credential, so no cookie and no CSRF token are used;
the page's Origin must be one the widget is allowed on (CORS answers name it)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from caseway.livechat import queries, services
from caseway.livechat.exceptions import ChatError
from caseway.livechat.origins import is_allowed_origin


def _cors(response: HttpResponse, origin: str) -> HttpResponse:
    response["Access-Control-Allow-Origin"] = origin
    response["Access-Control-Allow-Methods"] = "POST, OPTIONS"
    response["Vary"] = "Origin"
    return response


@csrf_exempt
@require_http_methods(["POST", "OPTIONS"])
def upload(request: HttpRequest) -> HttpResponse:
    origin = request.headers.get("Origin", "")
    if not is_allowed_origin(origin, for_widget=True):
        return JsonResponse({"error": gettext("This site may not use the chat.")}, status=403)
    if request.method == "OPTIONS":
        return _cors(HttpResponse(status=204), origin)
    session = queries.session_by_token(request.POST.get("token", ""))
    if session is None:
        return _cors(JsonResponse({"error": gettext("Unknown chat.")}, status=404), origin)
    upload = request.FILES.get("file")
    if upload is None:
        return _cors(JsonResponse({"error": gettext("No file was sent.")}, status=400), origin)
    if upload.size is not None and upload.size > services.max_upload_bytes():
        message = gettext("The file is larger than %(n)s MB.") % {
            "n": services.max_upload_bytes() // (1024 * 1024)
        }
        return _cors(JsonResponse({"error": message}, status=413), origin)
    try:
        line = services.send_file(
            session=session,
            filename=upload.name or "file",
            content_type=upload.content_type or "application/octet-stream",
            content=upload.read(),
            client_id=request.POST.get("client_id", ""),
        )
    except ChatError as exc:
        return _cors(JsonResponse({"error": str(exc)}, status=422), origin)
    return _cors(JsonResponse({"id": line.pk}), origin)
