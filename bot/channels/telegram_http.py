"""python-telegram-bot's requests to the Bot API, made with aiohttp instead of httpx.

PTB lets a bot bring its own HTTP transport (telegram.request.BaseRequest); everything else
(the methods, the rate limiter, the errors a status code means) stays PTB's. This one exists
for speed: measured against the local fake Bot API, a sendMessage through PTB's default
HTTPXRequest costs about 1 ms of CPU, most of it in httpx's connection pool; through aiohttp
about a third of that, which decides whether one process keeps up with 200 updates a second.

Parameters go as one JSON body (the Bot API takes application/json), which also spares
form-encoding every Vietnamese letter of an answer; files, when a method sends any, go as
multipart/form-data as Telegram requires.

    application = (Application.builder().token(token)
                   .request(AiohttpRequest(connection_pool_size=8))
                   .get_updates_request(AiohttpRequest(connection_pool_size=1))
                   .build())
"""

from __future__ import annotations

import json

import aiohttp
from telegram._utils.defaultvalue import DefaultValue
from telegram._utils.types import ODVInput
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData

# PTB's own defaults for HTTPXRequest, in seconds.
READ_TIMEOUT = 5.0
WRITE_TIMEOUT = 5.0
CONNECT_TIMEOUT = 5.0
POOL_TIMEOUT = 1.0
MEDIA_WRITE_TIMEOUT = 20.0


class AiohttpRequest(BaseRequest):
    """Bot API requests over one aiohttp session of up to `connection_pool_size` connections.

    The session is made in initialize(), inside the running event loop, as aiohttp requires.
    aiohttp has no separate write timeout: the write and read timeouts together bound the
    whole exchange once connected, and `pool_timeout` + `connect_timeout` bound getting a
    connection.
    """

    def __init__(self, connection_pool_size: int = 1, *,
                 read_timeout: float | None = READ_TIMEOUT,
                 write_timeout: float | None = WRITE_TIMEOUT,
                 connect_timeout: float | None = CONNECT_TIMEOUT,
                 pool_timeout: float | None = POOL_TIMEOUT,
                 media_write_timeout: float | None = MEDIA_WRITE_TIMEOUT) -> None:
        self._pool_size = connection_pool_size
        self._timeouts = {"read": read_timeout, "write": write_timeout,
                          "connect": connect_timeout, "pool": pool_timeout}
        self._media_write_timeout = media_write_timeout
        self._session: aiohttp.ClientSession | None = None

    @property
    def read_timeout(self) -> float | None:
        return self._timeouts["read"]

    async def initialize(self) -> None:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=self._pool_size),
                headers={"User-Agent": self.USER_AGENT})

    async def shutdown(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        write_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        connect_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        pool_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        if self._session is None or self._session.closed:
            raise RuntimeError("this AiohttpRequest is not initialized")
        has_files = request_data is not None and request_data.contains_files
        default_write = self._media_write_timeout if has_files else self._timeouts["write"]
        timeout = _client_timeout(
            read=_given_or(read_timeout, self._timeouts["read"]),
            write=_given_or(write_timeout, default_write),
            connect=_given_or(connect_timeout, self._timeouts["connect"]),
            pool=_given_or(pool_timeout, self._timeouts["pool"]))
        body, content_type = _encode(request_data)
        headers = {"Content-Type": content_type} if content_type else None
        try:
            async with self._session.request(method, url, data=body, headers=headers,
                                             timeout=timeout) as response:
                return response.status, await response.read()
        except (TimeoutError, aiohttp.ServerTimeoutError) as error:
            raise TimedOut from error
        except aiohttp.ClientError as error:
            # The class name helps when the error's own message is empty.
            raise NetworkError(f"aiohttp.{type(error).__name__}: {error}") from error


def _given_or(value: ODVInput[float], default: float | None) -> float | None:
    return default if isinstance(value, DefaultValue) else value


def _client_timeout(*, read: float | None, write: float | None, connect: float | None,
                    pool: float | None) -> aiohttp.ClientTimeout:
    """None means no limit, as in PTB: a sum with a None in it is no limit either."""
    getting_connection = None if connect is None or pool is None else connect + pool
    total = None if None in (read, write, getting_connection) else (
        read + write + getting_connection)
    return aiohttp.ClientTimeout(total=total, connect=getting_connection,
                                 sock_connect=connect, sock_read=read)


def _encode(request_data: RequestData | None) -> tuple[bytes | aiohttp.FormData | None,
                                                       str | None]:
    if request_data is None:
        return None, None
    if not request_data.contains_files:
        body = json.dumps(request_data.parameters, ensure_ascii=False)
        return body.encode(), "application/json; charset=utf-8"
    form = aiohttp.FormData()
    for name, value in request_data.json_parameters.items():
        form.add_field(name, value)
    for name, (filename, content, mimetype) in request_data.multipart_data.items():
        form.add_field(name, content, filename=filename, content_type=mimetype)
    return form, None
