"""Course, completion (JSON and CSV) and trainee endpoints."""
