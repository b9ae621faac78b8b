"""members pages."""

urlpatterns: list = []
