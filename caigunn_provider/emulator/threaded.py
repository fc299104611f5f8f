"""The emulator inside this process, on a thread with a real port (like ThreadedMotoServer)."""

from __future__ import annotations

import threading
import time
from types import TracebackType

import uvicorn

from caigunn_provider.emulator.app import create_app
from caigunn_provider.emulator.exceptions import EmulatorStartError
from caigunn_provider.emulator.startup import EmulatorSettings


class ThreadedEmulator:
    """A real HTTP emulator served by uvicorn on a daemon thread; port 0 unless settings say."""

    def __init__(self, settings: EmulatorSettings | None = None) -> None:
        self.settings = settings if settings is not None else EmulatorSettings(port=0)
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self.base_url = ""

    def start(self, timeout: float = 10.0) -> ThreadedEmulator:
        """Serve, and return once the socket accepts connections."""
        config = uvicorn.Config(
            create_app(self.settings),
            host=self.settings.host,
            port=self.settings.port,
            log_level="warning",
            access_log=False,
            timeout_graceful_shutdown=2,
        )
        server = uvicorn.Server(config)
        thread = threading.Thread(target=server.run, name="caigunn-emulator", daemon=True)
        thread.start()
        deadline = time.monotonic() + timeout
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                server.should_exit = True
                raise EmulatorStartError("the in-process emulator did not start")
            time.sleep(0.005)
        host, port = server.servers[0].sockets[0].getsockname()[:2]
        self.base_url = f"http://[{host}]:{port}" if ":" in str(host) else f"http://{host}:{port}"
        self._server, self._thread = server, thread
        return self

    def stop(self) -> None:
        """Shut the server down and wait for its thread."""
        if self._server is not None and self._thread is not None:
            self._server.should_exit = True
            self._thread.join(timeout=10)
        self._server = self._thread = None

    def __enter__(self) -> ThreadedEmulator:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
