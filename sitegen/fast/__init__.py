"""Fast paths and caches: quicker ways to the same bytes. Plain modules do not import this package."""
