"""Live chat: chat sessions, their lines, canned responses, and the websocket consumers of
visitors (the widget) and agents (the chat console).

Imports assist (the bot answers first), intake (every visitor line and agent reply), routing
(offers) and below. Publishes nothing of its own: it pushes over the channel layer.
"""
