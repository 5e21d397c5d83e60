"""Assist: the bot. Answers a customer's question with a verbatim passage of a published
public article (caseway.knowledge's one search), or says it does not know and hands off to a
person by opening a case through caseway.intake with the transcript. Owns Conversation and
Turn. Imports core, customers, knowledge, cases, intake."""
