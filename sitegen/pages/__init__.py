"""Stage 3, pages: what each page family shows (region pages, lists, downloads, API, search) and where it lives."""
