"""Stage 3, render: Jinja environments, chart specs, number and date formats, the languages' catalogs."""
