from django.urls import path

from caseway.api.telephony import sms, voice

app_name = "telephony"
urlpatterns = [
    path("sms/", sms.incoming, name="sms_incoming"),
    path("sms/status/<int:activity_id>/", sms.status, name="sms_status"),
    path("voice/", voice.incoming, name="voice_incoming"),
    path("voice/status/", voice.status, name="voice_status"),
    path("voice/<int:activity_id>/dialed/", voice.dialed, name="voice_dialed"),
    path("voice/<int:activity_id>/answered/<int:agent_id>/", voice.answered, name="voice_answered"),
    path("voice/<int:activity_id>/recorded/", voice.recorded, name="voice_recorded"),
    path("voice/<int:activity_id>/recording/", voice.recording, name="voice_recording"),
]
