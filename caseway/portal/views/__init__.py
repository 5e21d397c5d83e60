"""Portal views: thin, each parses a request, calls intake or a query, and renders."""
