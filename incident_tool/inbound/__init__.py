"""Inbound: text into values (webhook events, issue forms, commands, Slack messages, alerts).

Pure: nothing here makes a request or imports an effect.
"""
