"""Scale-out on PostgreSQL: two app instances and two workers as real processes (PostgreSQL only)."""
