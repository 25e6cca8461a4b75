"""The PostgreSQL store: a book on a database server, for a team (issue 20)."""
