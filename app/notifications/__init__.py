"""Notifications: messages queued in an outbox table with the case step, sent later by a
worker (SMTP in production, the log in development), retried with backoff."""
