"""Routing: rules that place a new case in a queue, and assignment to a present, qualified agent
with capacity (skills, presence, capacity, queue methods, offers, overflow).

Imports sla, cases, customers and core. Records every decision with its explanation.
"""
