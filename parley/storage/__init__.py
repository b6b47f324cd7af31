"""Storage: the tables, the connections, the batching writer and the repositories. The only place with SQL."""
