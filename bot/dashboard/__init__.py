"""The dashboard's figures, computed from the store (bot.dashboard.figures)."""
