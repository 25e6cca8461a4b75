"""Getting customers and purchases in and out: one module per file format, one loader."""
