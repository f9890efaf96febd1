"""The portal's own settings plus one bare view, so both are measured on the same server configuration."""

from portal.settings import *  # noqa: F403

ROOT_URLCONF = "bench.urls"
