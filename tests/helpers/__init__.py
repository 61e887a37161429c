"""What the tests share beyond fixtures, imported as `from tests.helpers.<module> import …`.

- `demo`: the demo world as the tests name it — the seeding instant, the demo resident's meters, the demo
  users' passwords.
- `rows`: what a test portal stored, read straight from its SQLite file.
- `api`: requests against a portal served over HTTP, and the one error shape checked whole.
- `cli`: gkh run in-process, and signing a profile in.
- `serving`: a free loopback port, and stopping a waitress server run in a thread.
- `files`: transports and servers for the file upload and download tests.
- `fs`: file permissions.
- `authz`: the machinery of the authorisation matrix.

Fixtures stay in the conftest files; nothing here is a fixture.
"""
