"""One module per way of sending; each exposes `send(notification, message) -> str`.

`send` returns a short description of what happened ("HTTP 200", "sent to 2 recipients") for
the firing log. It raises errors.PermanentError when trying again cannot help, anything else
for a failure worth retrying. delivery.sender picks the module for an action kind.
"""
