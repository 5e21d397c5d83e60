from django.urls import path

from caseway.workspace.views import (
    auth,
    case_actions,
    case_list,
    case_view,
    dashboards,
    events,
    notifications,
    poll,
    presence,
    sla,
)

app_name = "workspace"
urlpatterns = [
    path("", case_list.case_list, name="home"),
    path("login/", auth.WorkspaceLoginView.as_view(), name="login"),
    path("logout/", auth.WorkspaceLogoutView.as_view(), name="logout"),
    path("cases/<str:number>/", case_view.case_detail, name="case"),
    path(
        "cases/<str:number>/attachments/<int:attachment_id>/",
        case_view.attachment_download,
        name="attachment",
    ),
    path("cases/<str:number>/reply/", case_actions.reply, name="reply"),
    path("cases/<str:number>/note/", case_actions.note, name="note"),
    path("cases/<str:number>/status/", case_actions.change_status, name="status"),
    path("cases/<str:number>/take/", case_actions.take, name="take"),
    path("cases/<str:number>/assign/", case_actions.assign, name="assign"),
    path("cases/<str:number>/offer/accept/", case_actions.accept_offer, name="accept_offer"),
    path("cases/<str:number>/offer/decline/", case_actions.decline_offer, name="decline_offer"),
    path("cases/<str:number>/priority/", case_actions.change_priority, name="priority"),
    path("cases/<str:number>/queue/", case_actions.move, name="move"),
    path("cases/<str:number>/time/", case_actions.log_time, name="log_time"),
    path("sla/", sla.at_risk, name="sla"),
    path("presence/", presence.change_presence, name="presence"),
    path("poll/", poll.poll, name="poll"),
    path("events/", events.events, name="events"),
    path("load/", dashboards.load, name="load"),
    path("queues/", dashboards.queues, name="queues"),
    path("team/", dashboards.team, name="team"),
    path("team/<int:agent_id>/presence/", dashboards.team_presence, name="team_presence"),
    path("notifications/", notifications.notification_list, name="notifications"),
    path("notifications/menu/", notifications.notification_menu, name="notifications_menu"),
    path("notifications/read/", notifications.mark_all_read, name="notifications_read"),
]
