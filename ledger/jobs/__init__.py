"""Long work as jobs kept in PostgreSQL: uploaded files kept in parts, a queue of jobs with leases, their progress."""
