"""The chat front ends: ``handlers.slack`` (Bolt listeners and Block Kit) and, next,
``handlers.teams``. Each turns its platform's input into calls on the core (``bot``) and
the core's answers into its platform's messages; only the composition roots (bot.web,
bot.cli) import them."""
