"""Listening: social listening of public posts and comments. Scores each post (VADER
sentiment, the watch list of complaint words and product names), keeps it (SocialPost), and
opens a raised-priority case through caseway.intake for a negative or complaint post. Owns
WatchWord and SocialPost. Imports core, connectors, cases, intake."""
