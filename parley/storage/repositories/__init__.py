"""One module per table family; every function takes the connection it runs on."""
