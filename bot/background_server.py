"""Run an ASGI app with uvicorn on a loopback port, in a thread of its own.

Tests, benchmarks and the playground use it to run the bot, the emulator and fake Slack
over real HTTP, each with its own event loop, so one cannot stall another.
"""

from __future__ import annotations

import asyncio
import threading
from types import TracebackType
from typing import Any

import uvicorn


class _PromptServer(uvicorn.Server):
    """uvicorn checks for shutdown every 0.1 s; this one also wakes at once when asked."""

    wake: asyncio.Event | None = None

    async def main_loop(self) -> None:
        self.wake = asyncio.Event()
        counter = 0
        should_exit = await self.on_tick(counter)
        while not should_exit:
            counter = (counter + 1) % 864000
            try:
                await asyncio.wait_for(self.wake.wait(), 0.1)
            except TimeoutError:
                pass
            should_exit = await self.on_tick(counter)


class BackgroundServer:
    """``with BackgroundServer(app) as server: httpx.get(server.url)``."""

    def __init__(self, app: Any, *, host: str = "127.0.0.1", port: int = 0) -> None:
        config = uvicorn.Config(
            app,
            host=host,
            port=port,
            log_level="warning",
            lifespan="auto",
            access_log=False,
            timeout_graceful_shutdown=2,
        )
        self._server = _PromptServer(config)
        self._thread = threading.Thread(target=self._run, daemon=True, name="asgi-server")
        self._host = host
        self.port = port
        self.loop: asyncio.AbstractEventLoop | None = None
        self._error: BaseException | None = None

    def _run(self) -> None:
        try:
            asyncio.run(self._serve())
        except BaseException as exc:  # surfaced by start()
            self._error = exc

    async def _serve(self) -> None:
        self.loop = asyncio.get_running_loop()
        await self._server.serve()

    @property
    def url(self) -> str:
        """The server's base URL, without a trailing slash."""
        return f"http://{self._host}:{self.port}"

    def start(self, timeout: float = 15.0) -> BackgroundServer:
        """Start serving and wait until the socket is bound and the lifespan has run."""
        self._thread.start()
        deadline = threading.Event()
        waited = 0.0
        while not self._server.started:
            if self._error is not None or not self._thread.is_alive():
                raise RuntimeError(f"server failed to start: {self._error!r}")
            if waited > timeout:
                raise TimeoutError("server did not start in time")
            deadline.wait(0.01)
            waited += 0.01
        sockets = self._server.servers[0].sockets
        self.port = sockets[0].getsockname()[1]
        return self

    def stop(self) -> None:
        """Stop serving and wait for the thread to end."""
        self._server.should_exit = True
        wake, loop = self._server.wake, self.loop
        if wake is not None and loop is not None and not loop.is_closed():
            try:
                loop.call_soon_threadsafe(wake.set)
            except RuntimeError:
                pass  # the loop closed meanwhile: the server has stopped already
        self._thread.join(timeout=10)

    def __enter__(self) -> BackgroundServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
