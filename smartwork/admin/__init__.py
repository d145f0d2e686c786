"""The admin console: the audit log (search and CSV export)."""
