"""Blueprints, one per domain: ``auth``, ``learn`` (the officer's side), ``trainer``."""
