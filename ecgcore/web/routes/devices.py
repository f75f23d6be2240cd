"""Devices: detected ports and simulators, connected devices, recording, live socket."""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import APIRouter, HTTPException, Request, WebSocket, WebSocketDisconnect, status
from pydantic import BaseModel, Field

from ecgcore._validate import logger
from ecgcore.drivers import DeviceURL
from ecgcore.web.recording import recorder_factory
from ecgcore.web.records import NotFound
from ecgcore.web.routes._common import station
from ecgcore.web.security import require, same_origin, websocket_user
from ecgcore.web.users import User

__all__ = ["router"]

router = APIRouter(tags=["devices"])


@router.get("/api/devices")
def detected(request: Request, user: Annotated[User, require("view")]) -> dict[str, Any]:
    """What ``ecg devices`` lists: serial ports, USB devices, URL schemes, simulators."""
    from ecgcore.cli.devices import list_serial_ports, list_usb_devices  # noqa: PLC0415
    from ecgcore.drivers import available_schemes  # noqa: PLC0415
    from ecgcore.drivers.simulators import SIMULATORS  # noqa: PLC0415

    usb, usb_error = list_usb_devices()
    return {
        "serial_ports": list_serial_ports(),
        "usb_devices": usb,
        "usb_error": usb_error,
        "schemes": [
            {"scheme": e.scheme, "description": e.description, "example": e.example}
            for e in available_schemes()
        ],
        "simulators": [
            {"name": name, "description": spec.description} for name, spec in SIMULATORS.items()
        ],
        "presets": [
            "sim://ecg?leads=12&fs=500&hr=72",
            "sim://ecg?leads=12&fs=500&rhythm=afib",
            "sim://ecg?leads=12&fs=500&rhythm=pvc",
            "sim://ecg?leads=12&fs=500&schedule=sinus:20,vt:10,vf:20&repeat=1",
            "sim://ecg?leads=12&fs=500&lead_off=LA:5-15",
        ],
    }


class ConnectBody(BaseModel):
    """``POST /api/sessions``."""

    url: str = Field(min_length=3, max_length=2000)


@router.get("/api/sessions")
def sessions(request: Request, user: Annotated[User, require("view")]) -> dict[str, Any]:
    """Connected devices with their DeviceInfo, counters and recording state."""
    return {"sessions": [s.summary() for s in station(request).sessions.active()]}


@router.post("/api/sessions", status_code=status.HTTP_201_CREATED)
def connect(
    request: Request, body: ConnectBody, user: Annotated[User, require("record")]
) -> dict[str, Any]:
    """Open and start the device at ``url``.

    On a station that requires a login, ``file://`` playback is limited to
    records inside the station folder (no reading other files of the server).
    """
    st = station(request)
    url = body.url.strip()
    if st.settings.login_required:
        _check_file_url(url, st.settings.data_dir)
    session = st.sessions.connect(url, opened_by=user.name)
    return session.summary()


@router.get("/api/sessions/{session_id}")
def session_detail(
    request: Request, session_id: str, user: Annotated[User, require("view")]
) -> dict[str, Any]:
    """One connected device."""
    return station(request).sessions.get(session_id).summary()


@router.delete("/api/sessions/{session_id}")
def disconnect(
    request: Request, session_id: str, user: Annotated[User, require("record")]
) -> dict[str, Any]:
    """Stop (finalising any recording) and close the device."""
    station(request).sessions.disconnect(session_id)
    return {"disconnected": session_id}


def _check_file_url(url: str, root: Path) -> None:
    parsed = DeviceURL(url)
    if parsed.scheme != "file":
        return
    target = Path(parsed.target)
    try:
        inside = target.resolve().is_relative_to(root.resolve())
    except (OSError, RuntimeError):
        inside = False
    if not inside:
        raise HTTPException(
            status.HTTP_403_FORBIDDEN,
            "file:// playback is limited to records in the station folder "
            f"({root}) on a station that requires a login",
        )


class RecordBody(BaseModel):
    """``POST /api/sessions/{id}/recording``: who and what is recorded."""

    technician: str = Field(min_length=1, max_length=64, pattern=r"\S")
    patient: str | None = Field(default=None, max_length=64)
    subject: Literal["live", "simulator", "database", "unknown"] = "live"
    duration_s: float | None = Field(default=None, gt=0, le=86400)
    notes: str = Field(default="", max_length=2000)


@router.post("/api/sessions/{session_id}/recording", status_code=status.HTTP_201_CREATED)
def start_recording(
    request: Request,
    session_id: str,
    body: RecordBody,
    user: Annotated[User, require("record")],
) -> dict[str, Any]:
    """Start recording the device to the station's ``recordings/`` folder."""
    st = station(request)
    session = st.sessions.get(session_id)
    factory = recorder_factory(
        st.settings,
        st.log,
        technician=body.technician,
        patient=body.patient or None,
        subject=body.subject,
        duration_s=body.duration_s,
        notes=body.notes,
    )
    return session.start_recording(factory)


@router.delete("/api/sessions/{session_id}/recording")
def stop_recording(
    request: Request, session_id: str, user: Annotated[User, require("record")]
) -> dict[str, Any]:
    """Stop the recording: the record is finalised and logged."""
    return station(request).sessions.get(session_id).stop_recording()


@router.get("/api/alarms")
def alarms(request: Request, user: Annotated[User, require("view")]) -> dict[str, Any]:
    """Active alarms of every connected device (every page shows them)."""
    return {"alarms": station(request).sessions.alarms()}


@router.websocket("/ws/live/{session_id}")
async def live(ws: WebSocket, session_id: str) -> None:
    """Stream one device: a JSON hello, then one binary frame per batch."""
    if not same_origin(ws):
        await ws.close(code=1008, reason="cross-origin WebSocket refused")
        return
    user = websocket_user(ws)
    if user is None or not user.can("view"):
        await ws.close(code=1008, reason="sign in first")
        return
    try:
        session = ws.app.state.station.sessions.get(session_id)
    except NotFound:
        await ws.close(code=1008, reason="no such device session")
        return
    await ws.accept()
    sub = session.subscribe(asyncio.get_running_loop())
    receiver = asyncio.create_task(_drain(ws))
    try:
        while True:
            getter = asyncio.create_task(sub.queue.get())
            done, _ = await asyncio.wait({getter, receiver}, return_when=asyncio.FIRST_COMPLETED)
            if receiver in done:
                getter.cancel()
                break
            item = getter.result()
            if item is None:
                reason = "client too slow: fell 10 s behind" if sub.overflowed else "stream ended"
                if sub.overflowed:
                    logger.warning("web: live client of %s dropped (too slow)", session_id)
                await ws.close(code=1013 if sub.overflowed else 1000, reason=reason)
                break
            if isinstance(item, bytes):
                await ws.send_bytes(item)
            else:
                await ws.send_json(item)
    except (WebSocketDisconnect, RuntimeError):
        pass
    finally:
        session.unsubscribe(sub)
        receiver.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await receiver


async def _drain(ws: WebSocket) -> None:
    """Read (and ignore) client messages until the client goes away."""
    with contextlib.suppress(WebSocketDisconnect, RuntimeError):
        while True:
            msg = await ws.receive()
            if msg["type"] == "websocket.disconnect":
                return
