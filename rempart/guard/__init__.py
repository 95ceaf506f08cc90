"""Pure detection and ban logic: no disk, no clock, no network.

Time and text come in as arguments; decisions go out as values.
"""
