"""The minute pool: one per calendar month (services), the ledger of ended calls and its daily and
monthly rollups (ledger), the caps checked before a call (caps), the threshold alerts (alerts), the
pool's reads (selectors), its figures at /metrics (metrics) and its page (views).

It imports neither calls nor recordings: calls hand it what it debits.
"""
