"""JSON Schemas of the commands' --json output (data, no code)."""
