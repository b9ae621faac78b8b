"""pool pages."""

urlpatterns: list = []
