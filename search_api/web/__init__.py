"""The analysts' web page: server-rendered Jinja2 templates over the same queries as the JSON API."""
