"""The report pages: usage with its chart and exports, the calls behind a figure and the pool's
history (usage.py), and the admins' dashboard (dashboard.py)."""
