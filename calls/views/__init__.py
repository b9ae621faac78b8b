"""The calls app's pages: `contacts`, `call_pages` (placing a call, the history, a call's page),
`dial` (a number from a link: a CRM's, or any tel: link) and `outcomes` (the admins' list of call
outcomes)."""
