"""Stage 2, model: the region tree, the coverage cube and what the pages are made of (news, data changes)."""
