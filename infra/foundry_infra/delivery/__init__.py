"""Delivery (spec §6, §12): GitHub Actions deploys through OIDC, never with stored keys."""
