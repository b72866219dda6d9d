"""Who may do what, and what the workspace keeps: access, sign-in, accounts, research export, demo."""
