"""sitegen: the static-site generator behind the Jamsostek coverage transparency site."""

__version__ = "0.1.0"
