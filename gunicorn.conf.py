"""gunicorn's settings, read from the working directory by every `gunicorn` start (the Procfile, render.yaml, the
Dockerfile, compose.yaml): its master's and workers' own lines are settings.LOGGING's JSON lines (UTC), as the app's.
"""

import copy

from config.settings import LOGGING

logconfig_dict = copy.deepcopy(LOGGING)
# no handlers of their own: through the root logger's, which Django configures again in each worker
logconfig_dict["loggers"].update(
    {
        "gunicorn.error": {"level": "INFO", "handlers": [], "propagate": True},
        # pamoja.access (config/request_context.py) already writes one line per request, with its id and user
        "gunicorn.access": {"level": "WARNING", "handlers": [], "propagate": True},
    }
)
