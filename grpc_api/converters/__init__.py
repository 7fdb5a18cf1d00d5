"""Domain objects to proto messages and back (STYLE 3.9), a module per area."""
