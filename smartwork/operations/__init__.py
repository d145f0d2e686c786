"""Center-manager console: live board, occupancy, kiosk."""
