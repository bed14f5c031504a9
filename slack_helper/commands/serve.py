"""The long-running doors: the MCP server (and its tokens) and the Slack bot."""

from typing import Annotated

import typer

from slack_helper.commands.common import WorkspaceOption, settings, stores, workspace
from slack_helper.console import err_console
from slack_helper.wiring import bot_config, bot_services

mcp_app = typer.Typer(
    help="The MCP server (stdio or streamable HTTP).", invoke_without_command=True
)
token_app = typer.Typer(help="Bearer tokens for the HTTP transport.", no_args_is_help=True)
mcp_app.add_typer(token_app, name="token")
bot_app = typer.Typer(help="The Slack bot.", invoke_without_command=True)


@mcp_app.callback()
def mcp(
    ctx: typer.Context,
    workspace_key: WorkspaceOption = None,
    transport: Annotated[
        str, typer.Option(help="stdio (Claude Desktop, Claude Code) or http (streamable HTTP).")
    ] = "stdio",
    host: Annotated[str, typer.Option(help="HTTP: address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="HTTP: port to listen on.")] = 8000,
) -> None:
    """Serve the workspace's tools over MCP. Over HTTP each request needs a bearer token."""
    if ctx.invoked_subcommand is not None:
        return
    if transport not in ("stdio", "http"):
        raise typer.BadParameter("use stdio or http", param_hint="--transport")
    from mcp_server.server import build_server, serve_http

    with stores() as opened:
        if transport == "stdio":
            build_server(opened, workspace(opened, workspace_key).workspace_id).run("stdio")
        else:
            url = f"http://{host}:{port}"
            err_console.print(f"MCP over streamable HTTP at {url}/mcp (bearer token required)")
            serve_http(build_server(opened, http_url=url, host=host, port=port))


@token_app.command("create")
def token_create(
    workspace_key: WorkspaceOption = None,
    label: Annotated[str | None, typer.Option(help="What the token is for.")] = None,
) -> None:
    """Create a bearer token for one workspace; it is printed once and only its hash is kept."""
    from mcp_server.tokens import create_token

    with stores() as opened:
        print(create_token(opened, workspace(opened, workspace_key).workspace_id, label))


@bot_app.callback()
def bot(
    ctx: typer.Context,
    mode: Annotated[str, typer.Option(help="http (Events API) or socket (Socket Mode).")] = "http",
    host: Annotated[str, typer.Option(help="HTTP: address to listen on.")] = "0.0.0.0",
    port: Annotated[int, typer.Option(help="HTTP: port (Slack posts to /slack/events).")] = 3000,
) -> None:
    """Run the Slack bot: answers, live sync, feedback and scheduled newsletters."""
    if ctx.invoked_subcommand is not None:
        return
    if mode not in ("http", "socket"):
        raise typer.BadParameter("use http or socket", param_hint="--mode")
    from bot.app import build_app, serve

    config = settings()
    with stores() as opened:
        services = bot_services(opened, config)
        slack_app = build_app(services, bot_config(config))
        app_token = config.slack_app_token.get_secret_value() if config.slack_app_token else None
        err_console.print(
            f"bot listening ({mode})" + (f" on {host}:{port}" if mode == "http" else "")
        )
        secret = config.slack_signing_secret
        serve(
            slack_app,
            services,
            mode=mode,
            host=host,
            port=port,
            app_token=app_token,
            signing_secret=secret.get_secret_value() if secret else None,
        )
