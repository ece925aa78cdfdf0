"""Services: the operations that change data. They take a session, domain objects and plain
values (never ``request``), flush, and leave committing to their caller."""
