"""Webhooks to the enterprise's own systems (issue 21): what happens to calls and recordings,
sent to the endpoints admins register, signed as the Standard Webhooks spec says, from an outbox
written in the same transaction as the change."""
