"""The landing page per role and the navigation; sits above every domain."""
