"""A recording fake of Slack's Web API, reached through ``AsyncWebClient(base_url=...)``.

Every call is recorded so a test can say "chat.postMessage was called once", and wait for
a call with :meth:`FakeSlack.wait_for` instead of sleeping. It also receives response_url
posts at ``/response/<key>``, can answer 429 to the next N calls of a method, and can
answer late (after the client gave up), with or without having done the call. Posted
messages, with their metadata, are listed by conversations.history.

For "Add to Slack" it plays Slack's OAuth side: :meth:`FakeSlack.add_install` readies an
``oauth.v2.access`` answer for one code (single use, as Slack's are), ``auth.test``
answers per token, and rotating tokens are refreshed with ``grant_type=refresh_token``
(each refresh token once).
"""

from __future__ import annotations

import asyncio
import itertools
import json
import threading
import time
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from slack_sdk.errors import SlackObjectFormationError
from slack_sdk.models.blocks import Block
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from api.emulator.state import load_demo_data
from tests.fake_slack_oauth import SlackOAuthFake
from tests.fake_slack_openid import SlackOpenIDFake


@dataclass
class SlackUser:
    id: str
    name: str
    email: str | None = None
    is_bot: bool = False
    deleted: bool = False


@dataclass
class Recorded:
    method: str
    args: dict[str, Any]
    #: The bearer token the call was made with ('' when none).
    token: str = ""


def demo_slack_users() -> list[SlackUser]:
    """The emulator's demo people as Slack users (UMARIA, ULIAM, ...), plus odd cases."""
    users = [
        SlackUser(f"U{u['firstName'].upper()}", u["firstName"].lower(), u["email"].lower())
        for u in load_demo_data()["users"]
    ]
    return [
        *users,
        SlackUser("UROBOT", "deploybot", None, is_bot=True),
        SlackUser("UGHOST", "ghost", "ghost@elsewhere.example"),
        SlackUser("UNOMAIL", "nomail", None),
    ]


def blocks_are_valid(blocks: Any) -> bool:
    """Whether Slack would take these blocks: at most 50, each within Block Kit's limits
    as slack_sdk's models check them (section text 3,000 characters, header 150, ...)."""
    if blocks in (None, "", []):
        return True
    if not isinstance(blocks, list) or len(blocks) > 50:
        return False
    try:
        for block in blocks:
            parsed = Block.parse(block)
            if parsed is None:
                return False
            parsed.validate_json()
    except (SlackObjectFormationError, KeyError, TypeError, AttributeError):
        return False
    return True


@dataclass
class FakeSlack(SlackOAuthFake, SlackOpenIDFake):
    users: dict[str, SlackUser] = field(
        default_factory=lambda: {u.id: u for u in demo_slack_users()}
    )
    usergroups: dict[str, list[str]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.calls: list[Recorded] = []
        self._cond = threading.Condition()
        self._ts = itertools.count(1)
        self._failures: dict[str, list[tuple[int, int]]] = {}
        self._errors: dict[str, list[tuple[str, Callable[[dict[str, Any]], bool]]]] = {}
        self.app = Starlette(
            routes=[
                Route("/api/{method}", self._api, methods=["GET", "POST"]),
                Route("/response/{key}", self._response_url, methods=["POST"]),
                Route("/upload/{file}", self._upload, methods=["POST"]),
                Route("/openid/connect/authorize", self._openid_authorize),
            ]
        )
        self.url = ""
        #: Files uploaded through files.uploadV2's upload URL, by file id.
        self.uploads: dict[str, bytes] = {}
        #: Message texts by (channel, ts), for conversations.history.
        self.messages: dict[tuple[str, str], str] = {}
        #: Messages the bot posted: (channel, when, message with its metadata).
        self.posted: list[tuple[str, float, dict[str, Any]]] = []
        self._late: dict[str, list[tuple[float, bool]]] = {}
        #: Where ``apps.connections.open`` sends Socket Mode apps (None: refused).
        self.socket_url: str | None = None
        self._init_oauth()
        self._init_openid()

    # --- test helpers ---------------------------------------------------------------

    def reset(self) -> None:
        """Forget every call and failure, and go back to the demo users, between tests."""
        with self._cond:
            self.calls.clear()
            self._failures.clear()
            self._errors.clear()
            self.users = {u.id: u for u in demo_slack_users()}
            self.usergroups = {}
            self.uploads.clear()
            self.messages.clear()
            self.posted.clear()
            self._late.clear()
            self._ts = itertools.count(1)
            self._init_oauth()
            self.socket_url = None
        self._init_openid()

    def fail_with(
        self,
        method: str,
        error: str,
        times: int = 1,
        where: Callable[[dict[str, Any]], bool] | None = None,
    ) -> None:
        """Answer ``{"ok": false, "error": error}`` (HTTP 200) to the next ``times`` calls of
        ``method`` whose arguments match ``where``."""
        with self._cond:
            self._errors[method] = [(error, where or (lambda args: True))] * times

    def fail_next(self, method: str, times: int, status: int = 429, retry_after: int = 1) -> None:
        """Answer ``status`` to the next ``times`` calls of ``method``."""
        with self._cond:
            self._failures[method] = [(status, retry_after)] * times

    def answer_late(self, method: str, seconds: float, times: int = 1, made: bool = True) -> None:
        """Answer the next ``times`` calls of ``method`` only after ``seconds``. With
        ``made`` the call is done at once, as Slack does when its answer is what is late
        (recorded as ``method``); without, it is lost before Slack acts
        (``method:lost``)."""
        with self._cond:
            self._late[method] = [(seconds, made)] * times

    def calls_of(self, method: str) -> list[dict[str, Any]]:
        with self._cond:
            return [c.args for c in self.calls if c.method == method]

    def wait_for(self, predicate: Callable[[FakeSlack], bool], timeout: float = 10.0) -> None:
        """Block until ``predicate(self)`` holds after some call; fail after ``timeout``."""
        with self._cond:
            if not self._cond.wait_for(lambda: predicate(self), timeout=timeout):
                names = [c.method for c in self.calls]
                raise AssertionError(f"timed out waiting; calls so far: {names}")

    def wait_calls(
        self,
        method: str,
        count: int = 1,
        timeout: float = 10.0,
        where: Callable[[dict[str, Any]], bool] | None = None,
    ) -> list[dict[str, Any]]:
        """Wait for ``count`` calls of ``method`` (matching ``where``) and return them."""

        def matching(fake: FakeSlack) -> list[dict[str, Any]]:
            return [a for a in fake._calls_unlocked(method) if where is None or where(a)]

        self.wait_for(lambda f: len(matching(f)) >= count, timeout)
        with self._cond:
            return matching(self)

    def _calls_unlocked(self, method: str) -> list[dict[str, Any]]:
        return [c.args for c in self.calls if c.method == method]

    def response_url(self, key: str = "r1") -> str:
        return f"{self.url}/response/{key}"

    # --- the fake API ---------------------------------------------------------------

    def _record(self, method: str, args: dict[str, Any], token: str = "") -> None:
        with self._cond:
            self.calls.append(Recorded(method, args, token))
            self._cond.notify_all()

    def tokens_of(self, method: str) -> list[str]:
        """The bearer token of each call of ``method`` so far."""
        with self._cond:
            return [c.token for c in self.calls if c.method == method]

    async def _response_url(self, request: Request) -> Response:
        body = json.loads(await request.body() or b"{}")
        body["_key"] = request.path_params["key"]
        self._record("response_url", body)
        return Response("ok")

    async def _upload(self, request: Request) -> Response:
        self.uploads[request.path_params["file"]] = await request.body()
        return Response("OK - uploaded")

    async def _api(self, request: Request) -> Response:
        method = request.path_params["method"]
        args: dict[str, Any] = dict(request.query_params)
        authorization = request.headers.get("authorization", "")
        raw = await request.body()
        if raw:
            if request.headers.get("content-type", "").startswith("application/json"):
                args.update(json.loads(raw))
            else:
                args.update(urllib.parse.parse_qsl(raw.decode()))
        for key in ("blocks", "view", "users", "metadata"):
            if isinstance(args.get(key), str) and args[key][:1] in "[{":
                args[key] = json.loads(args[key])
        with self._cond:
            pending = self._failures.get(method)
            failure = pending.pop(0) if pending else None
            errors = self._errors.get(method)
            error = None
            if errors and errors[0][1](args):
                error = errors.pop(0)[0]
            late = self._late.get(method)
            delay, made = late.pop(0) if late else (0.0, True)
        if not made:
            self._record(method + ":lost", args)
            await asyncio.sleep(delay)
            return JSONResponse({"ok": False, "error": "request_timeout"}, 504)
        if error:
            self._record(method + ":failed", args)
            return JSONResponse({"ok": False, "error": error})
        if failure:
            status, retry_after = failure
            self._record(method + ":failed", args)
            return JSONResponse(
                {"ok": False, "error": "ratelimited"},
                status,
                headers={"Retry-After": str(retry_after)},
            )
        if method == "oauth.v2.access":
            answer = self._oauth_access(args, authorization)
        elif method == "openid.connect.token":
            answer = self._openid_token(args, authorization)
        elif method == "openid.connect.userInfo":
            answer = self._openid_user_info(authorization)
        elif method == "auth.test" and authorization.removeprefix("Bearer ") in self.identities:
            answer = self.identities[authorization.removeprefix("Bearer ")]
        else:
            answer = self._answer(method, args)
        self._record(method, args, authorization.removeprefix("Bearer "))
        if delay:
            await asyncio.sleep(delay)  # done on Slack's side; only the answer is late
        return JSONResponse(answer)

    def _answer(self, method: str, args: dict[str, Any]) -> dict[str, Any]:
        if method == "auth.test":
            return {
                "ok": True,
                "user_id": "UBADGEBOT",
                "bot_id": "BBADGEBOT",
                "team_id": "T1",
                "user": "badgebot",
                "team": "Acme",
                "url": "https://acme.slack.com/",
            }
        if method in ("chat.postMessage", "chat.update"):
            if not blocks_are_valid(args.get("blocks")):
                return {"ok": False, "error": "invalid_blocks"}
            channel = str(args.get("channel", ""))
            ts = args.get("ts") or f"1700000000.{next(self._ts):06d}"
            if method == "chat.postMessage":
                message = {"type": "message", "ts": ts, "text": args.get("text")}
                if args.get("metadata"):
                    message["metadata"] = args["metadata"]
                with self._cond:
                    self.posted.append((channel, time.time(), message))
            return {
                "ok": True,
                "channel": channel,
                "ts": ts,
                "message": {"text": args.get("text"), "blocks": args.get("blocks")},
            }
        if method in ("functions.completeSuccess", "functions.completeError"):
            # A workflow step's end: Slack wants the execution and its outputs or error.
            needed = "outputs" if method.endswith("Success") else "error"
            if not args.get("function_execution_id") or needed not in args:
                return {"ok": False, "error": "invalid_arguments"}
            return {"ok": True}
        if method == "chat.postEphemeral":
            return {"ok": True, "message_ts": f"1700000000.{next(self._ts):06d}"}
        if method == "conversations.open":
            users = str(args.get("users", ""))
            return {"ok": True, "channel": {"id": "D" + users.split(",")[0]}}
        if method == "users.info":
            user = self.users.get(str(args.get("user")))
            if user is None:
                return {"ok": False, "error": "user_not_found"}
            profile: dict[str, Any] = {"display_name": user.name, "real_name": user.name}
            if user.email:
                profile["email"] = user.email
            return {
                "ok": True,
                "user": {
                    "id": user.id,
                    "name": user.name,
                    "is_bot": user.is_bot,
                    "deleted": user.deleted,
                    "profile": profile,
                },
            }
        if method == "users.lookupByEmail":
            email = str(args.get("email", "")).lower()
            for user in self.users.values():
                if user.email == email:
                    return {"ok": True, "user": {"id": user.id, "name": user.name}}
            return {"ok": False, "error": "users_not_found"}
        if method in ("views.open", "views.update", "views.publish", "views.push"):
            return {"ok": True, "view": {"id": "V1", **(args.get("view") or {})}}
        if method == "usergroups.users.list":
            return {"ok": True, "users": self.usergroups.get(str(args.get("usergroup")), [])}
        if method == "chat.getPermalink":
            channel, ts = str(args.get("channel")), str(args.get("message_ts"))
            return {
                "ok": True,
                "channel": channel,
                "permalink": f"https://acme.slack.com/archives/{channel}/p{ts.replace('.', '')}",
            }
        if method == "conversations.history" and "latest" in args:
            key = (str(args.get("channel")), str(args.get("latest")))
            text = self.messages.get(key)
            messages = [] if text is None else [{"type": "message", "ts": key[1], "text": text}]
            return {"ok": True, "messages": messages}
        if method == "conversations.history":
            return {"ok": True, "messages": self._history(args)}
        if method == "apps.connections.open":  # Socket Mode (tests.fake_socket_mode)
            if self.socket_url is None:
                return {"ok": False, "error": "not_allowed_token_type"}
            return {"ok": True, "url": self.socket_url}
        if method == "files.getUploadURLExternal":
            file_id = f"F{next(self._ts):06d}"
            return {"ok": True, "upload_url": f"{self.url}/upload/{file_id}", "file_id": file_id}
        if method == "files.completeUploadExternal":
            files = args.get("files")
            files = json.loads(files) if isinstance(files, str) else files
            return {"ok": True, "files": [{"id": f["id"], "title": f.get("title")} for f in files]}
        return {"ok": True}

    def _history(self, args: dict[str, Any]) -> list[dict[str, Any]]:
        """The bot's posts in a channel since ``oldest`` (by when they were made: the
        fake's ts are not times), newest first; metadata only when asked for."""
        channel, oldest = str(args.get("channel")), float(args.get("oldest") or 0)
        with_metadata = str(args.get("include_all_metadata")).lower() in ("1", "true")
        with self._cond:
            found = [m for c, at, m in self.posted if c == channel and at >= oldest]
        if not with_metadata:
            found = [{k: v for k, v in m.items() if k != "metadata"} for m in found]
        return list(reversed(found))
