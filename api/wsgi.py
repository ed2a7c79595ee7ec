"""WSGI entry point for gunicorn: ``gunicorn api.wsgi:app``. Run ``targeting db upgrade`` first
(``targeting serve`` does both)."""

import gc

from api import create_app

app = create_app()
# What the process holds for its whole life from here (modules, routes, schemas, the loaded ruleset) is
# set aside from the cyclic garbage collector: otherwise each full collection walks all of it again,
# and a request that makes tens of thousands of objects (a day's worklist) sets one off every time or
# two, adding 50 to 100 ms at random (benchmarks.worklist). What is set aside is never collected: a
# ruleset loaded now and replaced later keeps whatever cycles it has, once.
gc.freeze()
