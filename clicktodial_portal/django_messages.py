"""Django's own messages that the portal's catalogue says better than Django's does.

makemessages keeps a message only if the portal's code marks it, so they are marked here; the
portal's catalogue is read before Django's (LOCALE_PATHS), so its words win.
"""

from django.utils.translation import gettext_noop

# Translators: what Django writes after a form field's label ("Minutes allotted:"); Chinese
# uses the full-width colon (分配分钟数：).
LABEL_SUFFIX = gettext_noop(":")
