from ml52.cli import entry

entry()
