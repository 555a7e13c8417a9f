"""Webhooks: endpoints per shop, the queue a change writes its messages to, and the workers that deliver them."""
