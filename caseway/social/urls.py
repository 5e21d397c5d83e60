"""Mounted at /hooks/ (see caseway.config.urls)."""

from django.urls import path

from caseway.social import views

app_name = "social"
urlpatterns = [
    path("facebook/", views.facebook_webhook, name="facebook"),
    path("x/", views.x_webhook, name="x"),
]
