"""The agent's MCP client session: mcp 1.x's, with each tool's output schema compiled once.

`ClientSession` checks every tool result against the tool's output schema with one-shot
`jsonschema.validate`, which first checks the schema itself against the JSON Schema metaschema,
on every call: with our nested result models that took ~44 ms a call, more than the search it
checked, and half of an offline answer's time. Upstream compiles the validator once since
modelcontextprotocol/python-sdk#3134 (mcp 2.x); this is that fix for the 1.x line we pin, with
the same checks and the same errors."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import anyio
from jsonschema import SchemaError, validators
from jsonschema.exceptions import best_match
from jsonschema.protocols import Validator
from mcp import ClientSession, types
from mcp.server.fastmcp import FastMCP
from mcp.shared.memory import create_client_server_memory_streams
from referencing import Registry
from referencing.exceptions import Unresolvable


class CompiledSchemaSession(ClientSession):
    """A client session that validates tool results against validators compiled once per
    output schema (rebuilt when a new tool listing brings a new schema object)."""

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self._validators: dict[str, tuple[dict[str, Any], Validator]] = {}

    async def _validate_tool_result(self, name: str, result: types.CallToolResult) -> None:
        if name not in self._tool_output_schemas:
            await self.list_tools()  # as upstream: a tool not yet listed refreshes the cache
        schema = self._tool_output_schemas.get(name)
        if schema is None:
            return
        if result.structuredContent is None:
            raise RuntimeError(f"Tool {name} has an output schema but returned no structure")
        try:
            error = best_match(self._validator(name, schema).iter_errors(result.structuredContent))
        except (SchemaError, Unresolvable) as exc:
            raise RuntimeError(f"Invalid schema for tool {name}: {exc}") from exc
        if error is not None:
            raise RuntimeError(f"Invalid structured content returned by tool {name}: {error}")

    def _validator(self, name: str, schema: dict[str, Any]) -> Validator:
        """The compiled validator of a tool's current schema; an invalid schema is never kept,
        so it fails every call, as the one-shot check does."""
        cached = self._validators.get(name)
        if cached is not None and cached[0] is schema:
            return cached[1]
        validator_class = validators.validator_for(schema)
        validator_class.check_schema(schema)
        # an explicit empty registry, as upstream: `$ref`s resolve within the schema only
        validator = validator_class(schema, registry=Registry())
        self._validators[name] = (schema, validator)
        return validator


@asynccontextmanager
async def in_process_session(server: FastMCP) -> AsyncIterator[ClientSession]:
    """A session with an in-process server over memory streams (as mcp's
    `create_connected_server_and_client_session`, with the session above)."""
    low_level = server._mcp_server  # what mcp's own in-memory helper runs, too
    async with create_client_server_memory_streams() as (client_streams, server_streams):
        async with anyio.create_task_group() as tasks:
            tasks.start_soon(
                lambda: low_level.run(*server_streams, low_level.create_initialization_options())
            )
            try:
                async with CompiledSchemaSession(*client_streams) as session:
                    await session.initialize()
                    yield session
            finally:
                tasks.cancel_scope.cancel()
