"""The calls app's pages: `contacts`, `call_pages` (placing a call, the history, a call's page)
and `outcomes` (the admins' list of call outcomes)."""
