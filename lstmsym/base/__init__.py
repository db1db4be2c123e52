"""The base every stage shares: error classes, the version, atomic writing and the JSON convention."""
