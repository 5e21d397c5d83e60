from django.contrib.auth import views as auth_views
from django.urls import path

from caseway.portal.views import cases, links, submit

app_name = "portal"
urlpatterns = [
    path("", submit.home, name="home"),
    path(
        "login/",
        auth_views.LoginView.as_view(
            template_name="portal/login.html", redirect_authenticated_user=True
        ),
        name="login",
    ),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("cases/", cases.my_cases, name="my_cases"),
    path("cases/new/", submit.new_case, name="new_case"),
    path("cases/<str:number>/", cases.case_detail, name="case_detail"),
    path("cases/<str:number>/reply/", cases.case_reply, name="case_reply"),
    path(
        "cases/<str:number>/files/<int:attachment_id>/",
        cases.case_attachment,
        name="case_attachment",
    ),
    path("c/<str:token>/", links.case_link, name="case_link"),
    path("c/<str:token>/submitted/", links.case_submitted, name="case_submitted"),
    path("c/<str:token>/reply/", links.case_link_reply, name="case_link_reply"),
    path(
        "c/<str:token>/files/<int:attachment_id>/",
        links.case_link_attachment,
        name="case_link_attachment",
    ),
]
