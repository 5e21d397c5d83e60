"""Entitlements (contracts), SLA policies with KPI targets, business calendars and SLA timers.

Imports cases, customers and core. Reacts to CaseUpdated after commit; its sweep fires warning
and breach actions through cases' services.
"""
