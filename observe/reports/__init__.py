"""What the analysis pages and the CLI show, computed from the store (dashboards, agreement, synchrony)."""
