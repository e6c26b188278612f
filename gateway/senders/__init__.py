"""Webhooks from senders that cannot write the clock's JSON: plain text, fields, curly quotes, templates.

Everything here builds the JSON a sender meant; gateway.rules then checks it exactly like a posted body.
"""
