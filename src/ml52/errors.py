"""The one kind of error a user should see: a clear line, no traceback.

Anything that is the user's to fix (a wrong slug, a missing data package, an unwritable folder, a bad
file) raises `UserError`. The command line prints its message as one line and exits with status 2.
"""


class UserError(Exception):
    """A problem the user can fix; the message says what is wrong and how to fix it."""


class DataMissing(UserError):
    """A data set or pretrained model is not installed; the message names the package to install."""
