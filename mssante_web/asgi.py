"""The ASGI application: the ``push`` role (uvicorn) serves the open pages' event streams
with it (issue 28); it refuses to start on an unsafe configuration as the WSGI one does."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mssante_web.settings")
application = get_asgi_application()

from mssante_web.startup import refuse_unsafe_configuration  # noqa: E402

refuse_unsafe_configuration()
