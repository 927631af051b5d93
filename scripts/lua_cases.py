"""Reading the Lua case files shared by the recorders (`record-lua-cases.py`,
`record-lua51-plain.py`): sections headed `=== name`, each a script."""


def read_cases(path):
    """The (name, script bytes) of each `=== name` section of `path`, in order, with the
    script's trailing newlines removed."""
    cases = []
    name, body = None, []
    with open(path, "rb") as f:
        for raw in f.read().split(b"\n"):
            if raw.startswith(b"=== "):
                if name is not None:
                    cases.append((name, b"\n".join(body).rstrip(b"\n")))
                name, body = raw[4:].decode().strip(), []
            elif name is not None:
                body.append(raw)
    if name is not None:
        cases.append((name, b"\n".join(body).rstrip(b"\n")))
    return cases
