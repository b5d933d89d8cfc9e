"""Bureau statistics: the JSON/CSV/XLSX API and the dashboard."""
