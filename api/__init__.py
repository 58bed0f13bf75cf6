"""The summit-scheduler HTTP service: validates, stores, queues and serves; the solver does the scheduling."""
