"""The network: regions, operators, centers, spaces, closures and contracts."""
