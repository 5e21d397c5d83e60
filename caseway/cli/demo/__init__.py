"""Demo data for `caseway seed`: people, queues and case stories told only through the
intake and cases services, then spread over the last 30 days."""
