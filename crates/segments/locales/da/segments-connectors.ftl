# Segment actions: connectors (seed 002). Owned by the connectors pages and jobs.
