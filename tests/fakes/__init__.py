"""Local stand-ins for outside systems, real servers speaking their documented protocol."""
