"""The back end: generated code made text, a live function, or a standalone module.

- ``emit``: the sweeps' statements wrapped into a ``def`` and unparsed;
- ``helpers``: the names generated code calls the runtime helpers by;
- ``compile``: generated text made a function in the user's module namespace;
- ``standalone`` (with ``serialise``): a module file holding the gradients, the helpers
  they call and the globals they read, which imports without adcompile.
- ``display``: the ``str`` subclass ``ad.show`` returns, which notebooks show as code.

Nothing here imports the front end, the AD passes or the API: they hand their results
down (a Transform is passed to ``standalone``, never looked up from here).
"""
