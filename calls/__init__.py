"""Contacts, calls, the call-event log, the notify endpoint and the click-to-call flow."""
