"""What delegations are told when a plan is published: wording, the outbox, webhooks, the delivery loop, routes."""
