"""The API's routes, one module per noun: methods on top of ClientCore, joined into Client by gkh.client.api.

A new noun gets its own module here (`class Bills(ClientCore)`) and one more base of `Client`.
"""
