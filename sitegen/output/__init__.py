"""Stage 4, write: the only code that writes the site's files (staging, guarded paths, the swap)."""
