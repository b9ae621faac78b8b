"""Finance's and admins' views of usage, on top of the rest of members: usage reports with their
charts and exports, the calls behind each figure, the pool's history, and the admins' dashboard.

The only part of members that reads calls, and it reads them through calls.selectors only.
"""
