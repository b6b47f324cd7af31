"""Webhooks: deliveries created with their events (`outbox`), signed (`signing`), posted by a worker (`worker`)."""
