"""Contacts, calls, the call-event log, the operator's notify endpoint and the click-to-call flow."""
