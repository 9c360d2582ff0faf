"""Stage 1, load: every input file read and checked, every problem reported with its file, line and field."""
