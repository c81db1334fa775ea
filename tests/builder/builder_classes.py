"""Classes the files of tests/builder/write.c name (imported by check.py's loads)."""


class C:
    """Made with keyword arguments (NEWOBJ_EX): __new__ keeps what it was given."""

    def __new__(cls, *args, **kwargs):
        self = object.__new__(cls)
        self.new_args = args
        self.new_kwargs = kwargs
        return self


class D:
    """A plain instance whose attributes the C program set and deleted."""


class E1:
    """Pickled by extension code 300."""


class E2:
    """Pickled by extension code 70000."""
