"""How a request reaches its workspace's Slack context.

A global Bolt middleware names the request's workspace (bot.workspaces), finds its context
(handlers.slack.workspace_contexts: the core's services for that workspace, and a Web API
client with that installation's token) and puts it in Bolt's context under ``badgebot``;
:func:`per_workspace` hands it to the listener. In the single-workspace mode there is one
context, for every request.
"""

from __future__ import annotations

import inspect
import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

from slack_bolt import BoltResponse
from slack_bolt.context.async_context import AsyncBoltContext
from slack_bolt.kwargs_injection.async_args import AsyncArgs

from bot.workspace_services import NotConnected
from bot.workspaces import DEFAULT_WORKSPACE, slack_workspace
from handlers.slack.context import SlackContext
from handlers.slack.modals import message_modal
from handlers.slack.payload import dig, first_input_block

log = logging.getLogger(__name__)

#: Where the middleware leaves the request's context, for :func:`per_workspace`.
CONTEXT_KEY = "badgebot"
#: Where it leaves the workspace key of a request from a workspace not connected yet.
UNCONNECTED_KEY = "badgebot_unconnected"


class WorkspaceContexts(Protocol):
    """Finds a workspace's context (handlers.slack.workspace_contexts.SlackContexts)."""

    async def for_key(self, key: str, token: str | None = None) -> SlackContext:
        """The context; NotConnected when the workspace has no Quantive connection."""
        ...


#: What a person of a workspace without a Quantive connection is told, whatever they did.
NOT_CONNECTED = (
    "badgebot is not connected to Quantive yet; an admin can connect it from badgebot's Home tab."
)

Middleware = Callable[..., Awaitable[BoltResponse | None]]


def single_workspace(source: SlackContext | WorkspaceContexts) -> Middleware:
    """The middleware of the single-workspace mode: every request has the one context.

    Given the contexts (the web process), each request gets the workspace's current one,
    rebuilt when its stored settings changed (bot.workspace_services), so an admin's
    change applies from the next request; a fixed context (Socket Mode) stays as built."""

    async def choose(context: AsyncBoltContext, next: Callable[[], Awaitable[None]]) -> None:
        if isinstance(source, SlackContext):
            context[CONTEXT_KEY] = source
        else:
            context[CONTEXT_KEY] = await source.for_key(DEFAULT_WORKSPACE)
        await next()

    return choose


def each_workspace(contexts: WorkspaceContexts, connect_ids: frozenset[str]) -> Middleware:
    """The middleware of distribution mode: the request's workspace's context, or, for a
    workspace not connected yet, :data:`NOT_CONNECTED` and no Quantive call. The Home tab
    and the requests named in ``connect_ids`` (the connect form's) go on without one."""

    async def choose(args: AsyncArgs) -> BoltResponse | None:
        key = request_workspace(args)
        if key is None:
            log.warning("ignored a request whose workspace ids are malformed")
            return BoltResponse(status=200, body="")
        try:
            args.context[CONTEXT_KEY] = await contexts.for_key(key, args.context.bot_token)
        except NotConnected:
            args.context[UNCONNECTED_KEY] = key
            if _is_home_or_connect(args.body, connect_ids):
                await args.next()
                return None
            return await not_connected(args)
        await args.next()
        return None

    return choose


def _is_home_or_connect(body: dict[str, Any], connect_ids: frozenset[str]) -> bool:
    event = body.get("event") if isinstance(body.get("event"), dict) else {}
    if body.get("type") == "event_callback":
        return event.get("type") in ("app_home_opened", "app_uninstalled", "tokens_revoked")
    ids = {str(a.get("action_id")) for a in body.get("actions") or [] if isinstance(a, dict)}
    view = body.get("view") if isinstance(body.get("view"), dict) else {}
    ids.add(str(view.get("callback_id")))
    return bool(ids & connect_ids)


async def not_connected(args: AsyncArgs) -> BoltResponse:
    """Tell the person that the workspace is not connected, where they will see it."""
    body = args.body
    kind = body.get("type")
    if "command" in body:
        return _json({"response_type": "ephemeral", "text": NOT_CONNECTED})
    if kind == "view_submission":
        block = first_input_block(body.get("view"))
        if block:
            return _json({"response_action": "errors", "errors": {block: NOT_CONNECTED}})
        return BoltResponse(status=200, body="")
    if kind == "block_suggestion":
        return _json({"options": []})
    if kind in ("block_actions", "shortcut", "message_action"):
        await _show(args)
    elif kind == "event_callback" and dig(body, "event", "type") == "function_executed":
        await _fail_step(args)
    return BoltResponse(status=200, body="")


async def _fail_step(args: AsyncArgs) -> None:
    """End a workflow step with the notice: unanswered, it would wait until Slack gives up,
    and its author would never learn why."""
    try:
        await args.fail(error=NOT_CONNECTED)
    except Exception as exc:  # the author is not told; nothing else depends on it
        log.warning("could not end a workflow step: %s", type(exc).__name__)


async def _show(args: AsyncArgs) -> None:
    """The notice in the thread of the click (its response URL), else in a small modal."""
    try:
        if args.body.get("response_url"):
            await args.respond(text=NOT_CONNECTED, response_type="ephemeral")
        elif args.body.get("trigger_id"):
            await args.client.views_open(
                trigger_id=args.body["trigger_id"],
                view=message_modal("badgebot", NOT_CONNECTED),
            )
    except Exception as exc:  # the person is not told; nothing else depends on it
        log.warning("could not say the workspace is not connected: %s", type(exc).__name__)


def _json(body: dict[str, Any]) -> BoltResponse:
    return BoltResponse(
        status=200, body=json.dumps(body), headers={"content-type": "application/json"}
    )


def request_workspace(args: AsyncArgs) -> str | None:
    """The key of the workspace a request came from (an org's, for an org-wide install)."""
    context = args.context
    return slack_workspace(
        context.team_id, context.enterprise_id, bool(context.is_enterprise_install)
    )


Listener = Callable[..., Awaitable[Any]]


def per_workspace(
    make: Callable[[SlackContext], Listener],
    unconnected: Callable[[AsyncArgs], Awaitable[Any]] | None = None,
) -> Listener:
    """A listener that runs ``make(ctx)``'s listener with the request's context, built
    once per context and called with the arguments it names, as Bolt would.

    A request of a workspace not connected yet reaches a listener only when the
    middleware let it through (the Home tab): ``unconnected`` answers it."""

    async def listener(args: AsyncArgs) -> Any:
        ctx: SlackContext | None = args.context.get(CONTEXT_KEY)
        if ctx is None:
            return await unconnected(args) if unconnected is not None else None
        made = ctx.listeners.get(make)
        if made is None:
            made = ctx.listeners[make] = make(ctx)
        names = inspect.signature(made).parameters
        return await made(**{name: getattr(args, name) for name in names})

    return listener
