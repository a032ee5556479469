"""The settings `tend serve` and `tend worker` run with."""

from .base import *  # noqa: F403
