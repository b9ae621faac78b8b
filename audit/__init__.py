"""The audit log: who changed what, when, from what to what, for every app of the portal."""
