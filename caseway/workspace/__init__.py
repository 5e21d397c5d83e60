"""Agent workspace: queues, case list, case view with timeline, reply, note, status,
assignment. Imports intake, cases, customers, core. Publishes nothing."""
