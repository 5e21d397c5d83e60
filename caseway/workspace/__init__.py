"""Agent workspace: queues, case list with SLA countdowns, case view with timeline, reply,
note, status, assignment, SLA and routing panels, time logging; presence, routing's offers,
a poll for new work; notifications; the SLA page.
Imports intake, routing, sla, cases, customers, core. Publishes nothing."""
