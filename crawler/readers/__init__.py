"""Ways in -> raw inputs: files and directories (discovery, limits, decompression, decoding) and
the kind of an input, taken from its content."""
