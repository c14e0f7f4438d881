"""Options request listeners (external selects)."""
