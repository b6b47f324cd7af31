"""Operating an install: backups and restores, moving from SQLite to PostgreSQL, purging old conversations."""
