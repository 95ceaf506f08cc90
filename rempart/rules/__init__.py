"""Loading filter definitions: fail2ban ``filter.d`` files and rempart's own TOML filters."""
