"""Publishing a built site: to object storage (`sitegen deploy`), and the limits of each host."""
