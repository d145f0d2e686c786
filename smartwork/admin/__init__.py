"""The admin console: users and roles, center managers, agencies, operators, contracts, roster import, audit log."""
