"""The playground: a small web page that plays Slack, so badgebot runs with no accounts.

It serves a Slack Web API of its own (the bot's SLACK_API_URL points at it) and sends the
bot real signed requests, so no bot code knows it is in a playground.
"""
