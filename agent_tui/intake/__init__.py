"""The intake form and what works behind it: the lookups, the draft keeper, the filing."""
