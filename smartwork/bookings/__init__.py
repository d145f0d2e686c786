"""Bookings: the booking engine (models, policies, services) and its pages."""
