"""MCP server: typed tools over one workspace (filled by the tools/MCP issue)."""
