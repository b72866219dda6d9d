"""observe: record and analyse nonverbal behaviour in counseling sessions.

The core package. Everything here except ``observe.ui`` is free of Streamlit,
so it serves the pages, the CLI (``python -m observe``), notebooks and tests alike.
"""

__version__ = "0.1.0"
