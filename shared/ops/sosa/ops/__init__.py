"""sosa.ops: the operators' command-line tool (`sosa --help`)."""
