from tests.webhooks.receiver import quick_webhooks, receiver  # noqa: F401 (fixtures)
