"""More ``python -m observe`` commands, one module per area (openness, agreement, interop, ...).

Each module defines ``register(sub, common)``: it adds its subparsers to ``sub`` with
``parents=[common]`` (so ``--db`` works everywhere) and ``set_defaults(run=fn)`` where
``fn(args, store) -> int``. A command that needs no database sets ``needs_store=False``
and receives ``store=None``. ``observe.cli`` finds the modules here by itself.
"""
