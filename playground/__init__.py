"""The playground: a small web page that plays Slack, so badgebot runs with no accounts.

It serves a Slack Web API of its own (the bot's SLACK_API_URL points at it) and sends the
bot real signed requests, so no bot code knows it is in a playground.
"""

import warnings

# The Teams SDK announces one of its preview APIs as it is imported: nothing a new user of
# the playground can act on, so it stays off their terminal at start-up.
warnings.filterwarnings("ignore", message="HtmlWidgetSecurityPolicy is in preview")
