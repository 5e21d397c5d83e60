"""Customers: accounts (small to enterprise), contacts, channel identities, portal logins,
merge suggestions and merges of contacts (one person, one contact).
Imports core only. Publishes ContactsMerged, ContactsUnmerged, MergeSuggested."""
