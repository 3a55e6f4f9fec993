"""Telling people what happened: in-app notifications and e-mail through an outbox."""
