"""The portal's own settings plus one bare view, so both are measured on the same server configuration.

Only the benchmark's server runs with these settings (``DJANGO_SETTINGS_MODULE=bench.settings``, set by
bench/__main__.py): its client is one signed-in agent, or one address, asking hundreds of times a second, which the
portal's rate limits would mostly answer with 429. Here every request is still counted in the shared cache, as in
production, but no limit is ever reached.
"""

from portal.settings import *  # noqa: F403
from portal.settings import GUICHET_RATE_LIMITS

ROOT_URLCONF = "bench.urls"
GUICHET_RATE_LIMITS = dict.fromkeys(GUICHET_RATE_LIMITS, "1000000000/min")
