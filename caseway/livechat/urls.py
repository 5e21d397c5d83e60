from django.urls import path

from caseway.livechat import views

app_name = "livechat"
urlpatterns = [path("upload/", views.upload, name="upload")]
