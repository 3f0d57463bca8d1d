"""Control pages of connections, the public page view and the inbound webhook endpoint."""
