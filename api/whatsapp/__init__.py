"""The WhatsApp channel: the webhook (verify → durable insert → enqueue), the simulate route, the
worker that answers through the conversation service, and the sweeper."""
