"""Services: the unit of work around each use case. Only services call `atlas`."""
