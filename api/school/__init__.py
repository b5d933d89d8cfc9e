"""The school portal (`/school`): courses, certificates and uploads for a signed-in institution (see portal.py)."""
