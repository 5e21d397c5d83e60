from django.contrib.auth import views as auth_views
from django.urls import path

from caseway.portal.views import assist, cases, community, kb, kiosk, links, submit

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
    path("help/ask/", assist.ask_bot, name="assist"),
    path("cases/", cases.my_cases, name="my_cases"),
    path("cases/new/", submit.new_case, name="new_case"),
    path("cases/<str:number>/", cases.case_detail, name="case_detail"),
    path("cases/<str:number>/reply/", cases.case_reply, name="case_reply"),
    path(
        "cases/<str:number>/files/<int:attachment_id>/",
        cases.case_attachment,
        name="case_attachment",
    ),
    path("kb/", kb.kb_home, name="kb_home"),
    path("kb/search/", kb.kb_search, name="kb_search"),
    path("kb/suggest/", kb.kb_suggest, name="kb_suggest"),
    path("kb/topics/<slug:slug>/", kb.kb_category, name="kb_category"),
    path("kb/<int:article_id>/feedback/", kb.kb_feedback, name="kb_feedback"),
    path(
        "kb/<int:article_id>/files/<int:attachment_id>/",
        kb.kb_attachment,
        name="kb_attachment",
    ),
    path("kb/<int:article_id>/<slug:slug>/", kb.kb_article, name="kb_article"),
    path("community/", community.topic_list, name="community"),
    path("community/ask/", community.ask, name="community_ask"),
    path("community/<int:topic_id>/", community.topic_detail, name="community_topic"),
    path("community/<int:topic_id>/answer/", community.answer, name="community_answer"),
    path(
        "community/<int:topic_id>/replies/<int:reply_id>/vote/",
        community.vote,
        name="community_vote",
    ),
    path(
        "community/<int:topic_id>/replies/<int:reply_id>/accept/",
        community.accept,
        name="community_accept",
    ),
    path("community/<int:topic_id>/moderate/", community.moderate, name="community_moderate"),
    path("kiosk/", kiosk.kiosk_home, name="kiosk"),
    path("kiosk/articles/<int:article_id>/", kiosk.kiosk_article, name="kiosk_article"),
    path("kiosk/person/", kiosk.kiosk_person, name="kiosk_person"),
    path("kiosk/done/", kiosk.kiosk_done, name="kiosk_done"),
    path("kiosk/reset/", kiosk.kiosk_reset, name="kiosk_reset"),
    path("c/<str:token>/", links.case_link, name="case_link"),
    path("c/<str:token>/submitted/", links.case_submitted, name="case_submitted"),
    path("c/<str:token>/reply/", links.case_link_reply, name="case_link_reply"),
    path(
        "c/<str:token>/files/<int:attachment_id>/",
        links.case_link_attachment,
        name="case_link_attachment",
    ),
]
