from django.contrib import admin
from django.urls import include, path

from caseway.api.urls import api

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
    path("agent/", include("caseway.workspace.urls")),
    path("hooks/", include("caseway.social.urls")),
    path("hooks/", include("caseway.api.telephony.urls")),
    path("chat/", include("caseway.livechat.urls")),
    path("", include("caseway.portal.urls")),
]
