"""Marsa's course engine: content package, quiz engine, progress tracking and the web views over them."""
