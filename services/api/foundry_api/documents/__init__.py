"""Trusted documents: the web app's GraphQL documents, known at build time, prepared at start-up."""
