"""Cases: queues, cases, the timeline (activities), attachments, the status workflow and the
audit trail of field changes. Imports core and customers. Publishes CaseOpened, CaseUpdated,
ActivityAdded (see events.py)."""
