"""Push devices of the signed-in customer: register, list, unregister."""

from __future__ import annotations

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Router, Status
from ninja.errors import HttpError

from caseway.api.auth import require_customer
from caseway.api.mobile_schemas import DeviceIn, DeviceOut
from caseway.api.models import Device
from caseway.api.schemas import ErrorOut, ValidationErrorOut
from caseway.api.services import register_device, unregister_device

router = Router(tags=["devices"])

DENIED = {401: ErrorOut, 403: ErrorOut}


def _out(device: Device) -> DeviceOut:
    return DeviceOut(
        id=device.pk,
        platform=device.platform,  # type: ignore[arg-type]
        token=device.token,
        name=device.name,
        created_at=device.created_at,
        last_seen_at=device.last_seen_at,
    )


@router.post(
    "",
    response={200: DeviceOut, 201: DeviceOut, **DENIED, 422: ValidationErrorOut},
    summary="Register this device for push notifications (customers)",
)
def register(request: HttpRequest, payload: DeviceIn) -> Status[DeviceOut]:
    """Call it at every app start: 201 the first time, then 200. Agents' replies on your
    cases are pushed to it through the push gateway."""
    caller, _contact = require_customer(request)
    device, is_new = register_device(
        user=caller.user, platform=payload.platform, token=payload.token, name=payload.name
    )
    return Status(201 if is_new else 200, _out(device))


@router.get("", response={200: list[DeviceOut], **DENIED}, summary="Your registered devices")
def list_devices(request: HttpRequest) -> list[DeviceOut]:
    caller, _contact = require_customer(request)
    return [_out(device) for device in Device.objects.filter(user_id=caller.user.pk)]


@router.delete(
    "/{device_id}",
    response={204: None, **DENIED, 404: ErrorOut},
    summary="Unregister a device",
)
def unregister(request: HttpRequest, device_id: int) -> Status[None]:
    """Someone else's device answers 404, like one that does not exist."""
    caller, _contact = require_customer(request)
    device = Device.objects.filter(pk=device_id, user_id=caller.user.pk).first()
    if device is None:
        raise HttpError(404, _("No such device."))
    unregister_device(device=device)
    return Status(204, None)
