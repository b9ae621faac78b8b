from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver

from .language import SESSION_KEY
from .models import Preference


@receiver(user_logged_in)
def language_restore(sender, request, user, **kwargs) -> None:
    """Bring the language the user chose on any device into this session."""
    language = Preference.objects.filter(user=user).values_list("language", flat=True).first()
    if language:
        request.session[SESSION_KEY] = language
