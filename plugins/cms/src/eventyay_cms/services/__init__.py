"""The CMS plugin's business rules: connections, pull, push and inbound webhooks."""
