"""Real-browser tests: Marsa served by gunicorn, driven by Debian's Chromium through Playwright."""
