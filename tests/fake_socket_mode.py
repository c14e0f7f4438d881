"""Slack's Socket Mode end on loopback: the WebSocket the app connects to after
``apps.connections.open`` (which the fake Slack answers with :attr:`FakeSocketMode.url`).
It says hello, sends the envelopes a test hands it, and keeps the app's acks."""

from __future__ import annotations

import asyncio
import json
import threading
from typing import Any

from aiohttp import WSMsgType, web


class FakeSocketMode:
    """``with FakeSocketMode() as sockets: slack.socket_url = sockets.url``."""

    def __init__(self) -> None:
        self.acks: list[dict[str, Any]] = []
        self._cond = threading.Condition()
        self._socket: web.WebSocketResponse | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._runner: web.AppRunner | None = None
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True, name="fake-socket-mode")
        self.url = ""

    def __enter__(self) -> FakeSocketMode:
        self._thread.start()
        assert self._ready.wait(10), "the fake Socket Mode server did not start"
        return self

    def __exit__(self, *exc: object) -> None:
        if self._loop is not None and self._runner is not None:
            asyncio.run_coroutine_threadsafe(self._runner.cleanup(), self._loop).result(10)
            self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)

    def _run(self) -> None:
        self._loop = asyncio.new_event_loop()
        app = web.Application()
        app.router.add_get("/ws", self._ws)
        self._runner = web.AppRunner(app)
        self._loop.run_until_complete(self._runner.setup())
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        self._loop.run_until_complete(site.start())
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.url = f"ws://127.0.0.1:{port}/ws"
        self._ready.set()
        self._loop.run_forever()

    async def _ws(self, request: web.Request) -> web.WebSocketResponse:
        socket = web.WebSocketResponse()
        await socket.prepare(request)
        hello = {"type": "hello", "num_connections": 1, "connection_info": {"app_id": "A1"}}
        await socket.send_str(json.dumps(hello))
        with self._cond:
            self._socket = socket
            self._cond.notify_all()
        async for message in socket:
            if message.type == WSMsgType.TEXT:
                with self._cond:
                    self.acks.append(json.loads(message.data))
                    self._cond.notify_all()
        with self._cond:
            self._socket = None
            self._cond.notify_all()
        return socket

    def wait_connected(self, timeout: float = 15.0) -> None:
        """Block until the app is connected; fail after ``timeout``."""
        with self._cond:
            assert self._cond.wait_for(lambda: self._socket is not None, timeout), "no app"

    def wait_closed(self, timeout: float = 15.0) -> None:
        """Block until the app has closed its connection; fail after ``timeout``."""
        with self._cond:
            assert self._cond.wait_for(lambda: self._socket is None, timeout), "still open"

    def send(self, envelope: dict[str, Any]) -> None:
        """Hand the connected app one envelope, as Slack does."""
        socket, loop = self._socket, self._loop
        assert socket is not None and loop is not None, "no app connected"
        future = asyncio.run_coroutine_threadsafe(socket.send_str(json.dumps(envelope)), loop)
        future.result(10)

    def wait_ack(self, envelope_id: str, timeout: float = 10.0) -> dict[str, Any]:
        """The app's ack of one envelope; fail after ``timeout``."""

        def acked() -> dict[str, Any] | None:
            return next((a for a in self.acks if a.get("envelope_id") == envelope_id), None)

        with self._cond:
            assert self._cond.wait_for(lambda: acked() is not None, timeout), self.acks
            found = acked()
        assert found is not None
        return found
