"""One HL7 message over MLLP and its ACK, through the ``hl7`` package's MLLP streams, with a
time limit on the whole exchange and a bound on what is read back. Pure Python."""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import ssl
from collections.abc import Callable, Coroutine
from typing import Any

import hl7.mllp

ACK_MAX_BYTES = 64 * 1024


class MllpUnavailable(Exception):
    """The business software could not be reached, cut the connection, or did not answer in
    time: the document was perhaps not received; sent again later under the same control id."""


def _run(make: Callable[[], Coroutine[Any, Any, str]]) -> str:
    """The exchange on an event loop of its own: this thread's, or a helper thread's when the
    caller already runs one here (asyncio.run refuses to nest)."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(make())
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(lambda: asyncio.run(make())).result()


def mllp_exchange(*, host: str, port: int, message: str, timeout: float,
                  context: ssl.SSLContext | None = None) -> str:
    """Send ``message`` (segments separated by CR) and return the ACK's text."""

    async def exchange() -> str:
        reader, writer = await hl7.mllp.open_hl7_connection(host, port, ssl=context, limit=ACK_MAX_BYTES,
                                                            encoding="utf-8")
        try:
            writer.writeblock(message.encode("utf-8"))
            await writer.drain()
            block = await reader.readblock()
            return bytes(block).decode("utf-8", "replace")
        finally:
            writer.close()
            with contextlib.suppress(OSError):
                await writer.wait_closed()

    try:
        return _run(lambda: asyncio.wait_for(exchange(), timeout))
    except (TimeoutError, OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ValueError,
            hl7.mllp.InvalidBlockError) as exc:
        raise MllpUnavailable(f"{host}:{port}: {exc.__class__.__name__}: {exc}") from exc
