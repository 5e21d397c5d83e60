"""Connectors: one adapter per provider. verify() what arrives, parse() it into an
InboundMessage, send() an OutboundMessage. Imports core only; knows the wire, never Case or
Contact. Publishes the message types and the adapter registry."""
