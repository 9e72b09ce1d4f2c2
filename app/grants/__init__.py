"""The grant domain: organisations, funds, rounds, applications, decisions."""
