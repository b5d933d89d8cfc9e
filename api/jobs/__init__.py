"""Jobs over HTTP: their status, rows and output; the handlers the worker runs."""
