"""What every app shares and that imports no app: the error shape and money (more moves here as the layout
settles: the clock, app hooks, API fields, admin bases, integrations)."""
