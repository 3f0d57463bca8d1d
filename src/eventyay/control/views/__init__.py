"""Control panel views, one module per area. Views stay thin: forms validate, services write."""
