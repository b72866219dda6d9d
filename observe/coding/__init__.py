"""Coding a session: the recorder's core, blind double coding, the coded extent, the session forms."""
