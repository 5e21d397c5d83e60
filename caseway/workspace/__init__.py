"""Agent workspace: queues, case list with SLA countdowns, case view with timeline, reply,
note, status, assignment, SLA panel and time logging; notifications; the SLA page.
Imports intake, sla, cases, customers, core. Publishes nothing."""
