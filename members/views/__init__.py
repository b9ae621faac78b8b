"""Server-rendered pages of the members app, one module per area."""
