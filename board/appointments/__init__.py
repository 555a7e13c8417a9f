"""Cards: creating, reading, moving, editing and deleting them, and their history of events."""
