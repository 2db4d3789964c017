"""The domain: aggregates and their rules. Pure Python plus the event-sourcing library."""
