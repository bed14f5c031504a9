"""LangGraph agent: plan -> act -> compose (filled by the agent issue)."""
