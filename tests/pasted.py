"""Output pasted into README.md and docs/*.md, checked against what the code prints now.

    python tests/pasted.py            # check every pasted block: runs every command (a minute or two)
    python tests/pasted.py --write    # ... and rewrite the blocks that drifted
    python tests/pasted.py --doctest  # only the >>> examples (the test suite runs them in its own process)
    python tests/pasted.py --lesson   # only lesson.ipynb: run lesson.py in a kernel; --write keeps its outputs

Two kinds of block are pasted output:

- a fenced block whose first line is `$ COMMAND`: the rest of the block is what COMMAND
  prints, run with sh in the project folder, `python` being this Python and COLUMNS=80
  unless the command sets it;
- a ```python block with >>> lines: a doctest. A file's blocks share one namespace.

Training output depends on the processor's architecture: see made_here() and MADE_ON.

The lesson notebook is pasted output too: lesson.ipynb is lesson.py (its text twin, in
jupytext's percent format) with the outputs of a run top to bottom in a fresh kernel.

The test suite (tests/test_docs.py, tests/test_lesson.py) checks them all on every `make test`. It runs the cheap
commands itself, takes the output of those that load TensorFlow from the runs it makes anyway
(tests/conftest.py), and runs the doctests (NumPy alone) in its own process.
"""
import doctest
import os
import platform
import re
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MADE_ON = ("x86_64", "AMD64")  # platform.machine() where the pasted training output was made (x86-64; AMD64 on Windows)
FENCE = re.compile(r"^```(\w*)\n(.*?)^```$", re.MULTILINE | re.DOTALL)


def made_here(machine=None):
    """Is this the architecture the pasted training output was made on? The printed reports, whose
    figures have 4 decimals, were the same byte for byte on every x86-64 processor they were tried
    on, with or without AVX-512 or AMX (docs/compatibility.md); on another architecture (arm64)
    they have not been seen, and the comparison is skipped."""
    return (machine or platform.machine()) in MADE_ON


def first_difference(expected, got, lines=3):
    """Where two texts part: the first differing line of each, with the lines after it."""
    want, have = expected.splitlines(), got.splitlines()
    at = next((i for i, (a, b) in enumerate(zip(want, have, strict=False)) if a != b), min(len(want), len(have)))
    return (f"line {at + 1}:\n  pasted: " + "\n          ".join(want[at:at + lines])
            + "\n  today:  " + "\n          ".join(have[at:at + lines]))


def pages():
    return [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


@dataclass
class Block:
    path: Path
    line: int  # where the block's text starts, 1-based
    start: int  # offset of the block's text (inside the fences) in the page
    language: str
    text: str

    @property
    def command(self):
        first, _, _ = self.text.partition("\n")
        return first[2:] if first.startswith("$ ") else None

    @property
    def output(self):
        return self.text.partition("\n")[2]

    def where(self):
        return f"{self.path.relative_to(ROOT)}:{self.line}"


def blocks(path, text=None):
    text = path.read_text() if text is None else text
    for match in FENCE.finditer(text):
        yield Block(path, text.count("\n", 0, match.start(2)) + 1, match.start(2), match.group(1), match.group(2))


def command_blocks(path, text=None):
    return [block for block in blocks(path, text) if block.command]


def doctest_blocks(path, text=None):
    return [block for block in blocks(path, text) if block.language == "python" and ">>> " in block.text]


def run_command(command):
    """What `command` prints on stdout, run as the pages say."""
    env = {**os.environ, "COLUMNS": "80",
           "PATH": os.path.dirname(sys.executable) + os.pathsep + os.environ.get("PATH", "")}
    return subprocess.run(["sh", "-c", command], cwd=ROOT, env=env, capture_output=True, text=True).stdout


class Collect(doctest.DocTestRunner):
    """Runs examples and keeps what each printed where it differs from the page."""

    def __init__(self):
        super().__init__(verbose=False)
        self.drifted = []  # (example, what it printed)

    def report_failure(self, out, test, example, got):
        self.drifted.append((example, got))

    def report_unexpected_exception(self, out, test, example, exc_info):
        self.drifted.append((example, "".join(doctest.traceback.format_exception_only(*exc_info[:2]))))


def run_doctests(path, text=None):
    """Every doctest block of a page, in order, in one namespace: [(block, example, printed)]
    for each example whose output is not the page's."""
    namespace, drifted = {"__name__": "__pasted__"}, []
    for block in doctest_blocks(path, text):
        runner = Collect()
        test = doctest.DocTestParser().get_doctest(block.text, namespace, block.where(), str(path), block.line)
        runner.run(test, clear_globs=False)
        namespace = test.globs  # the next block goes on from here (DocTest ran on a copy)
        drifted += [(block, example, got) for example, got in runner.drifted]
    return drifted


def rewritten(text, fixes):
    """`text` with each (offset, old, new) replaced, from the end so offsets hold."""
    for offset, old, new in sorted(fixes, reverse=True):
        assert text[offset:offset + len(old)] == old
        text = text[:offset] + new + text[offset + len(old):]
    return text


def want_offset(block, example):
    """Offset in the page of the expected output of `example` in `block`."""
    lines = block.text.splitlines(keepends=True)
    first = example.lineno + example.source.count("\n")  # the line after the source
    return block.start + sum(map(len, lines[:first]))


LESSON = ROOT / "lesson.py"  # the lesson's text: lesson.ipynb is it, with its outputs


def run_lesson(env=None, timeout=600):
    """lesson.py as a notebook, run top to bottom in a fresh kernel of this Python (environment `env` on
    top of this one's), in the project folder; the kernel is shut down as Jupyter does, not killed."""
    import jupytext
    import nbclient
    from jupyter_client.manager import KernelManager

    notebook = jupytext.read(LESSON)
    with tempfile.TemporaryDirectory() as sockets:  # talked to over local sockets, not TCP, and none left over
        kernel = KernelManager(kernel_name="python3", transport="ipc", ip=os.path.join(sockets, "kernel"))
        kernel.start_kernel(cwd=str(ROOT), env={**os.environ, **(env or {})})
        try:
            nbclient.NotebookClient(notebook, km=kernel, timeout=timeout, record_timing=False).execute()
        finally:
            kernel.shutdown_kernel()
    return notebook


def notebook_text(notebook):
    """What a notebook shows as text, a cell at a time: its source, then each output's text (a picture
    as its type alone: its pixels are the plotting library's)."""
    def text(output):
        if output.output_type == "stream":
            return f"[{output.name}]\n{output.text}"
        if output.output_type == "error":
            return f"[error] {output.ename}: {output.evalue}"
        return f"[{output.output_type}] " + ", ".join(sorted(output.data))
    return [(cell.cell_type, cell.source, [text(output) for output in cell.get("outputs", [])])
            for cell in notebook.cells]


def main(argv):
    write, only_doctests = "--write" in argv, "--doctest" in argv
    if "--lesson" in argv:
        import jupytext

        ran, kept = run_lesson(), jupytext.read(LESSON.with_suffix(".ipynb"))
        if write:  # pictures and all
            jupytext.write(ran, LESSON.with_suffix(".ipynb"))
        if notebook_text(ran) != notebook_text(kept):
            print("lesson.ipynb showed other output than a run of lesson.py today" + (": rewritten" if write else ""))
            return 0 if write else 1
        print("lesson.ipynb shows what a run of lesson.py shows today" + (" (rewritten)" if write else ""))
        return 0
    if write and not only_doctests and not made_here():
        print(f"note: this is {platform.machine()}; the pasted training output was made on {MADE_ON[0]}. "
              "If training blocks are rewritten, set MADE_ON to this architecture.")
    sys.path.insert(0, str(ROOT))
    import quiet_tf  # noqa: F401  (TensorFlow's INFO lines off, as in the scripts, for examples that load it)

    drifted = 0
    for path in pages():
        text, fixes = path.read_text(), []
        for block in [] if only_doctests else command_blocks(path, text):
            printed = run_command(block.command)
            if printed != block.output:
                drifted += 1
                print(f"{block.where()}: `{block.command}` prints other output now")
                fixes.append((block.start, block.text, f"$ {block.command}\n{printed}"))
        for block, example, got in run_doctests(path, text):
            drifted += 1
            print(f"{block.where()}: the example on line {block.line + example.lineno} prints other output now:\n"
                  f"{example.source}{got}")
            fixes.append((want_offset(block, example), example.want, got))
        if write and fixes:
            path.write_text(rewritten(text, fixes))
            print(f"rewrote {len(fixes)} block(s) in {path.relative_to(ROOT)}")
    return 1 if drifted and not write else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
