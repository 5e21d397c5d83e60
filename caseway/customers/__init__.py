"""Customers: accounts (small to enterprise), contacts, channel identities, portal logins.
Imports core only. Publishes nothing yet."""
