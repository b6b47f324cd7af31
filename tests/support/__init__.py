"""Real things the tests run against: databases, an upstream HTTP server, a Parley server process."""
