"""The benchmark (`make bench`): years of history in PostgreSQL, and how fast the portal answers."""
