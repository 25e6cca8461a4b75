"""The SQLite store: a book in one file, the embedded default."""
