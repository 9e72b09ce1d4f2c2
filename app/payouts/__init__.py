"""Payouts: payee details, payout plans, attest, export batches and återkrav for finance."""
