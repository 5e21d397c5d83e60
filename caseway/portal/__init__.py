"""Customer portal: submit a case, my cases with the public timeline, reply. Imports intake,
cases, customers, core. Publishes nothing."""
